import { afterEach, expect } from 'vitest';
import type { IsoDate } from '../../shared/domain/calendar.ts';
import { startHttpStack, type HttpAnswer, type HttpStack } from './http-client.ts';

/** A file's local HTTP stacks on one DynamoDB Local: `stack(today)` starts one, each closed after its test. */
export function useHttpStacks(endpoint: () => string, opts: { portal?: boolean } = {}): (today: IsoDate) => Promise<HttpStack> {
  const stacks: HttpStack[] = [];
  afterEach(async () => {
    for (const s of stacks.splice(0)) await s.close();
  });
  return async (today) => {
    const s = await startHttpStack(endpoint(), today, opts);
    stacks.push(s);
    return s;
  };
}

/** The one error shape, as JSON, with its status and code. */
export function expectError(a: HttpAnswer, status: number, code: string): void {
  expect(a.status, a.text).toBe(status);
  expect(a.headers.get('content-type')).toBe('application/json');
  expect(a.json).toEqual({ error: { code, message: expect.any(String), status } });
}
