import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EXIT_BAD_INPUT, type Ctx } from '../context.ts';

/** A check that found problems: they are the command's output, and the exit code says so. */
export class ConfigCheckFailed extends Error {
  readonly exitCode = EXIT_BAD_INPUT;
}

export function registerConfigCommands(program: Command, c: Ctx): void {
  const config = program.command('config').description("a stage's configuration file: sellers, catalogue, VAT rates");
  config
    .command('check')
    .argument('<file>', 'YAML or JSON, as config/sample.yaml')
    .description('validate a configuration file; every problem is listed with its line')
    .action(async (file: string) => {
      // Loaded here only: the other commands do not parse YAML.
      const { checkConfigText, formatProblems } = await import('../../../shared/adapters/config/config-file.ts');
      const { engineConfig } = await import('../../../shared/config/billing-config.ts');
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        c().print(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
          file,
          ok: false,
          problems: [{ line: 0, column: 0, path: '', message: 'cannot be read' }],
        });
        throw new ConfigCheckFailed('unreadable');
      }
      const check = checkConfigText(text);
      if (!check.ok) {
        c().print(`${formatProblems(file, check.problems)}\n${check.problems.length} problem(s) in ${file}`, { file, ok: false, problems: check.problems });
        throw new ConfigCheckFailed(`${check.problems.length} problems`);
      }
      const e = engineConfig(check.file);
      const types = e.catalogue.all();
      const summary = {
        file,
        ok: true,
        stage: e.stage,
        sellers: [...e.sellers.keys()],
        defaultSeller: e.seller.id,
        productTypes: types.map((t) => t.id),
        vatCountries: Object.keys(e.vatRates).length,
      };
      c().print(
        `${file}: valid (stage ${e.stage}): ${summary.sellers.length} seller(s) (${summary.sellers.join(', ')}; default ${e.seller.id}), ${types.length} product types, VAT rates of ${summary.vatCountries} countries`,
        summary,
      );
    });
  config
    .command('schema')
    .description('print the JSON Schema of configuration files (also in config/billing-config.schema.json)')
    .action(async () => {
      const { billingConfigJsonSchema } = await import('../../../shared/config/billing-config-schema.ts');
      const schema = billingConfigJsonSchema();
      c().print(JSON.stringify(schema, null, 2), schema);
    });
}
