import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localClient, startDynamoDbLocal } from '../../shared/adapters/local/dynamodb-local.ts';
import { connectLocalStore, stopLocalStore, type StoreInfo } from '../../shared/adapters/local/local-store.ts';

const homes: string[] = [];
const aHome = () => {
  const h = join(mkdtempSync(join(tmpdir(), 'billing-store-')), '.billing');
  homes.push(h);
  return h;
};
const info = (home: string) => JSON.parse(readFileSync(join(home, 'store.json'), 'utf8')) as StoreInfo;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Waits for a condition by polling, with a deadline generous enough for a loaded machine. */
async function eventually(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`still not: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(async () => {
  for (const h of homes) {
    await stopLocalStore(h);
    rmSync(join(h, '..'), { recursive: true, force: true });
  }
});

// Commands of one data folder share one DynamoDB Local that outlives them (the JVM took 10 s and more
// to start on every command). What must hold: one store per folder however many commands start at
// once, never someone else's store, and no store left behind.
describe('the local store of a data folder', { timeout: 300_000 }, () => {
  it('is started once for commands that arrive together, and found running by the next one', async () => {
    const home = aHome();
    const endpoints = await Promise.all([connectLocalStore(home), connectLocalStore(home), connectLocalStore(home)]);
    expect(new Set(endpoints).size).toBe(1);
    const first = info(home);
    expect(await connectLocalStore(home)).toBe(endpoints[0]);
    expect(info(home).pid).toBe(first.pid);
    expect(await stopLocalStore(home)).toBe(true);
    expect(alive(first.pid)).toBe(false);
    expect(await stopLocalStore(home)).toBe(false);
    // Stopped, it starts again on the same data.
    expect(await connectLocalStore(home)).not.toBe('');
    expect(info(home).pid).not.toBe(first.pid);
  });

  it('never takes another DynamoDB Local that now answers where its own was', async () => {
    const home = aHome();
    await connectLocalStore(home);
    const ours = info(home);
    await stopLocalStore(home);
    // Another process's DynamoDB Local, and a store file naming it with a live pid (ours) and a token it does not hold.
    const foreign = await startDynamoDbLocal();
    const fc = localClient(foreign.endpoint);
    try {
      await fc.send(
        new CreateTableCommand({
          TableName: 'foreign-only',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      writeFileSync(join(home, 'store.json'), JSON.stringify({ ...ours, pid: process.pid, endpoint: foreign.endpoint }));
      const endpoint = await connectLocalStore(home);
      expect(endpoint).not.toBe(foreign.endpoint);
      expect(info(home).pid).not.toBe(process.pid);
      const oc = localClient(endpoint);
      expect((await oc.send(new ListTablesCommand({}))).TableNames).not.toContain('foreign-only');
      oc.destroy();
      // Nothing of ours went to the foreign one.
      expect((await fc.send(new ListTablesCommand({}))).TableNames).toEqual(['foreign-only']);
    } finally {
      fc.destroy();
      await foreign.stop();
    }
  });

  it('stops by itself when its data folder is removed, or after the idle time', async () => {
    const gone = aHome();
    await connectLocalStore(gone);
    const pid = info(gone).pid;
    rmSync(gone, { recursive: true, force: true });
    await eventually('the keeper of a removed folder stopped', () => !alive(pid));

    const idle = aHome();
    process.env.BILLING_STORE_IDLE_SECONDS = '1';
    try {
      await connectLocalStore(idle);
    } finally {
      delete process.env.BILLING_STORE_IDLE_SECONDS;
    }
    const idlePid = info(idle).pid;
    await eventually('the idle keeper stopped', () => !alive(idlePid));
    await eventually('its store file removed', () => {
      try {
        readFileSync(join(idle, 'store.json'));
        return false;
      } catch {
        return true;
      }
    });
    expect(readFileSync(join(idle, 'store.log'), 'utf8')).toMatch(/stopping: idle for 1 s/);
  });
});
