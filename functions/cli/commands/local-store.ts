import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Ctx } from '../context.ts';

export function registerLocalStoreCommands(program: Command, c: Ctx): void {
  program
    .command('reset')
    .description('wipe the local data folder')
    .action(async () => {
      const { stopLocalStore } = await import('../../../shared/adapters/local/local-store.ts');
      await stopLocalStore(c().opts.home);
      rmSync(resolve(c().opts.home), { recursive: true, force: true });
      c().print(`removed ${c().opts.home}`, { reset: true, home: c().opts.home });
    });

  program
    .command('stop')
    .description('stop the local store of the data folder (it also stops after 15 idle minutes; the next command starts it again)')
    .action(async () => {
      const { stopLocalStore } = await import('../../../shared/adapters/local/local-store.ts');
      const stopped = await stopLocalStore(c().opts.home);
      c().print(stopped ? `stopped the store of ${c().opts.home}` : `no store was running for ${c().opts.home}`, { stopped, home: c().opts.home });
    });
}
