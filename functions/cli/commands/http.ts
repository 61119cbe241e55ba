import { Option, type Command } from 'commander';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { fixedClock } from '../../../shared/ports/clock.ts';
import { MAX_TTL_SECONDS } from '../../http/local-token-terms.ts';
import { openLocalRuntime } from '../lazy-runtime.ts';
import type { LocalRuntime } from '../../local-runtime.ts';

/** The part of main.ts's CliContext these commands use. */
export interface HttpCliContext {
  current?: {
    readonly opts: { home: string; today?: string };
    readonly json: boolean;
    print(human: string, data: unknown): void;
  };
}

const wholeNumber = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new ValidationError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n;
};

export function registerHttpCommands(program: Command, ctx: HttpCliContext): void {
  const c = () => ctx.current!;

  program
    .command('serve')
    .description('serve the HTTP API, the customer portal and the finance console on 127.0.0.1, until Ctrl+C')
    .addOption(new Option('--port <n>', '0 picks a free port').default(8787).argParser(wholeNumber('--port', 0, 65535)))
    .action(async (o: { port: number }) => {
      const cx = c();
      // Without --today the server's day follows the wall clock, as a long-running API must.
      const rt = await openLocalRuntime({ home: cx.opts.home, ...(cx.opts.today ? { clock: fixedClock(cx.opts.today) } : {}) });
      try {
        const { startLocalServer } = await import('../../http/local-server.ts');
        const server = await startLocalServer(rt, {
          port: o.port,
          home: cx.opts.home,
          portal: true,
          ...(cx.json ? {} : { accessLog: (line: string) => process.stderr.write(`${line}\n`) }),
        });
        try {
          // Printed now, not at the end like other commands: the command only ends when stopped.
          process.stdout.write(cx.json ? `${JSON.stringify({ url: server.url })}\n` : await hint(rt, server.url));
          await untilStopped();
        } finally {
          await server.close();
        }
      } finally {
        await rt.close();
      }
    });

  program
    .command('openapi')
    .description('print the OpenAPI 3.1 document of the HTTP API (also in docs/openapi.json, served at GET /v1/openapi.json)')
    .action(async () => {
      const document = await apiDocument();
      c().print(JSON.stringify(document, null, 2), document);
    });

  program
    .command('token')
    .description('sign a bearer token for `billing serve` (what the OAuth 2 provider issues in AWS)')
    .requiredOption('--user <id>', 'the user id (the token subject)')
    .option('--org <id>', 'recorded in the token; rights still come from the organisation members')
    .addOption(new Option('--ttl <seconds>').default(3600).argParser(wholeNumber('--ttl', 1, MAX_TTL_SECONDS)))
    .option('--scope <scopes>', 'OAuth 2 scopes, e.g. billing:finance for finance staff')
    .action(async (o: { user: string; org?: string; ttl: number; scope?: string }) => {
      const { signLocalToken } = await import('../../http/local-tokens.ts');
      const token = await signLocalToken(c().opts.home, { userId: o.user, ttlSeconds: o.ttl, ...(o.org ? { orgId: o.org } : {}), ...(o.scope ? { scope: o.scope } : {}) });
      c().print(token, { token });
    });
}

/** A curl line that works as is: the first organisation and its legal owner, when the store has one. */
async function hint(rt: LocalRuntime, url: string): Promise<string> {
  const org = (await rt.store.listOrganisations())[0];
  const owner = org && (await rt.store.listMembers(org.id)).find((m) => m.role === 'legal-owner');
  const orgId = org?.id ?? '<org>';
  return [
    `Customer portal and finance console on ${url}/ (Ctrl+C to stop)`,
    `  Sign in at ${url}/login as one of the demo's users${owner ? `, e.g. ${owner.userId} (legal owner of ${org!.name})` : ''}, or as finance staff.`,
    '',
    `Billing API on ${url}/v1/ (docs/http-api.md). Try:`,
    `  TOKEN=$(npx billing token --user ${owner?.userId ?? '<user>'})`,
    `  curl -H "Authorization: Bearer $TOKEN" "${url}/v1/orgs/${orgId}/products?due=all"`,
    '',
  ].join('\n');
}

function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The document made from the routes' contracts, with the package's version. */
export async function apiDocument(): Promise<Record<string, unknown>> {
  const [{ ROUTES }, { openApiDocument }, pkg] = await Promise.all([
    import('../../http/routes.ts'),
    import('../../http/openapi-document.ts'),
    import('../../../package.json', { with: { type: 'json' } }),
  ]);
  return openApiDocument(ROUTES, { version: pkg.default.version });
}
