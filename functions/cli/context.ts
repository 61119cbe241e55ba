import { availableParallelism } from 'node:os';
import * as z from 'zod';
import { isIsoDate, type IsoDate } from '../../shared/domain/calendar.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import { fixedClock } from '../../shared/ports/clock.ts';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import type { LocalRuntime } from '../local-runtime.ts';
import { openLocalRuntime } from './lazy-runtime.ts';

export const EXIT_BAD_INPUT = 2;

export interface GlobalOpts {
  json?: boolean;
  home: string;
  today?: string;
  config?: string;
}

export class CliContext {
  out: string[] = [];
  constructor(readonly opts: GlobalOpts) {}
  get json(): boolean {
    return this.opts.json === true;
  }
  today(): IsoDate {
    return this.opts.today ?? systemClock().today();
  }
  print(human: string, data: unknown): void {
    this.out.push(this.json ? JSON.stringify(data, null, 2) : human);
  }
  /** Opens the embedded stack for one command and always shuts it down. */
  async withRuntime<T>(work: (rt: LocalRuntime) => Promise<T>, outDir = 'out'): Promise<T> {
    const { loadStageConfig, defaultConfigPath } = await import('../../shared/adapters/config/stage-config.ts');
    const config = loadStageConfig(this.opts.config ?? defaultConfigPath());
    const rt = await openLocalRuntime({ home: this.opts.home, clock: fixedClock(this.today()), outDir, separateCharges: true, pdfThreads: availableParallelism(), config });
    try {
      return await work(rt);
    } finally {
      await rt.close();
    }
  }
}

export const dateArg = (name: string) => (v: string) => {
  if (!isIsoDate(v)) throw new ValidationError(`${name} must be a date as YYYY-MM-DD, got "${v}"`);
  return v;
};
export const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = z.coerce.number().int().min(min).max(max).safeParse(v);
  if (!n.success || !/^\d+$/.test(v)) throw new ValidationError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n.data;
};

/** The context of the command being run, set by the program's preAction hook. */
export type Ctx = () => CliContext;
