import { vi } from 'vitest';
import { main } from '../../functions/cli/main.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `billing ...` in process against a data folder, capturing what it prints. */
export async function runBilling(home: string, args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await main(['--home', home, ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
