import { Command, CommanderError, Option } from 'commander';
import { DomainError } from '../../shared/domain/errors.ts';
import { JavaMissingError } from '../../shared/adapters/local/java-missing-error.ts';
import { CliContext, dateArg, EXIT_BAD_INPUT, type GlobalOpts } from './context.ts';
import { registerBalanceCommands } from './commands/balance.ts';
import { registerBankCommands } from './commands/bank.ts';
import { ConfigCheckFailed, registerConfigCommands } from './commands/config.ts';
import { registerDemoCommands } from './commands/demo.ts';
import { registerEventCommands, registerWebhookCommands } from './commands/events.ts';
import { registerFinanceCommands } from './commands/finance.ts';
import { registerHttpCommands } from './commands/http.ts';
import { registerLocalStoreCommands } from './commands/local-store.ts';
import { registerNightCommands } from './commands/nights.ts';
import { registerOrganisationCommands } from './commands/organisations.ts';
import { registerPaymentCommands } from './commands/payments.ts';
import { registerProductCommands } from './commands/products.ts';

export function buildProgram(ctx: { current?: CliContext }): Command {
  const program = new Command('billing')
    .description('Billing and renewal engine, on the embedded local stack')
    .option('--json', 'machine-readable output')
    .option('--home <dir>', 'data folder of the local stack', process.env.BILLING_HOME ?? '.billing')
    .option('--config <file>', "the stage's configuration: sellers, catalogue, VAT rates (default: $BILLING_CONFIG, or config/sample.yaml)")
    .addOption(new Option('--today <date>', 'the date the commands act on (default: today in Zurich)').argParser(dateArg('--today')))
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .hook('preAction', (cmd) => {
      ctx.current = new CliContext(cmd.opts<GlobalOpts>());
    });
  const c = () => ctx.current!;

  // Each group of commands in a file of its own under commands/, each command calling a use case.
  registerLocalStoreCommands(program, c);
  registerConfigCommands(program, c);
  registerDemoCommands(program, c);
  registerOrganisationCommands(program, c);
  registerProductCommands(program, c);
  registerBalanceCommands(program, c);
  registerNightCommands(program, c);
  registerPaymentCommands(program, c);
  registerFinanceCommands(program, c);
  registerEventCommands(program, c);
  registerWebhookCommands(program, c);
  registerBankCommands(program, c);
  registerHttpCommands(program, ctx);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const ctx: { current?: CliContext } = {};
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (ctx.current) for (const line of ctx.current.out) process.stdout.write(line + '\n');
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      if (err.code === 'commander.help') return 0;
      process.stderr.write(`error: ${err.message.replace(/^error: /, '').replace(/[\r\n]+/g, ' ')}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof DomainError) {
      // One line, whatever the input echoed into the message contained.
      process.stderr.write(`error: ${err.message.replace(/[\r\n]+/g, ' ')}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof ConfigCheckFailed) {
      // The problems are the output: printed like any command's, on stdout.
      if (ctx.current) for (const line of ctx.current.out) process.stdout.write(line + '\n');
      return err.exitCode;
    }
    // A configuration the engine cannot run with (each problem on a line of its own).
    if ((err as Error).name === 'ConfigError') {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof JavaMissingError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
