/**
 * One DynamoDB Local per data folder, kept running between CLI commands.
 *
 * Starting the JVM on a data folder takes 10 s or more; a command that
 * started its own every time made the CLI unusable twice in a row. The first
 * command of a folder starts a keeper process (detached, its output in
 * `<home>/store.log`) that runs DynamoDB Local on the folder, writes
 * `<home>/store.json` (its pid, the endpoint and a random token it also
 * stores in the database), and stops by itself after an idle time (15
 * minutes by default, `BILLING_STORE_IDLE_SECONDS`), when the folder is
 * removed, or on `billing stop`. Later commands read `store.json` and prove
 * the store is theirs by reading the token back from the database: another
 * process's DynamoDB Local that took the port after ours stopped holds no
 * such token, and is never written to.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { CreateTableCommand, GetItemCommand, PutItemCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { checkJava, localClient, startDynamoDbLocal } from './dynamodb-local.ts';

const IDENTITY_TABLE = 'local-store-identity';
const DEFAULT_IDLE_SECONDS = 15 * 60;

export interface StoreInfo {
  /** The keeper's pid. */
  pid: number;
  endpoint: string;
  token: string;
  startedAt: string;
}

const paths = (home: string) => {
  const dir = resolve(home);
  return { dir, info: join(dir, 'store.json'), lock: join(dir, 'store.lock'), used: join(dir, 'store.used'), log: join(dir, 'store.log'), data: join(dir, 'dynamodb') };
};

function readInfo(file: string): StoreInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as StoreInfo;
    return typeof info.pid === 'number' && typeof info.endpoint === 'string' && typeof info.token === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the database at the endpoint is the one that wrote this token. */
async function holdsToken(info: StoreInfo): Promise<boolean> {
  const client = localClient(info.endpoint);
  try {
    const res = await client.send(new GetItemCommand({ TableName: IDENTITY_TABLE, Key: { pk: { S: 'identity' } }, ConsistentRead: true }));
    return res.Item?.token?.S === info.token;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

function touch(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    writeFileSync(file, '');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The endpoint of the folder's own DynamoDB Local, started if none runs.
 * Several commands at once start one keeper between them (a lock file).
 */
export async function connectLocalStore(home: string, opts: { startTimeoutMs?: number } = {}): Promise<string> {
  const p = paths(home);
  mkdirSync(p.dir, { recursive: true });
  touch(p.used);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 240_000);
  for (;;) {
    const info = readInfo(p.info);
    if (info && alive(info.pid) && (await holdsToken(info))) return info.endpoint;
    if (takeLock(p.lock)) {
      try {
        // Checked again under the lock: another command may have just started one.
        const again = readInfo(p.info);
        if (again && alive(again.pid) && (await holdsToken(again))) return again.endpoint;
        // Not ours (a dead keeper, its pid reused, or another DynamoDB Local on its port): never signalled, never
        // written to. A keeper of ours that lost its database sees its file replaced and stops by itself.
        rmSync(p.info, { force: true });
        return await startKeeper(p, deadline);
      } finally {
        rmSync(p.lock, { force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`the local store of ${p.dir} did not start in time; see ${p.log}`);
    await sleep(200);
  }
}

/** A lock file, taken over when its holder died (older than the longest start). */
function takeLock(file: string): boolean {
  try {
    closeSync(openSync(file, 'wx'));
    writeFileSync(file, String(process.pid));
    return true;
  } catch {
    try {
      const holder = Number(readFileSync(file, 'utf8'));
      if ((holder > 0 && !alive(holder)) || Date.now() - statSync(file).mtimeMs > 300_000) rmSync(file, { force: true });
    } catch {
      // Released meanwhile.
    }
    return false;
  }
}

/** The keeper's entry: built beside the CLI's build (functions/cli/billing.mjs; this code may sit in its chunks/ folder), or the source through tsx. */
function keeperCommand(): string[] {
  for (const at of ['./local-store-keeper.mjs', '../local-store-keeper.mjs']) {
    const built = fileURLToPath(new URL(at, import.meta.url));
    if (existsSync(built)) return [built];
  }
  // tsx by absolute URL: the command may run from any directory.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, fileURLToPath(new URL('./local-store-keeper.ts', import.meta.url))];
}

async function startKeeper(p: ReturnType<typeof paths>, deadline: number): Promise<string> {
  // Said here, in the command, rather than in the keeper's log.
  checkJava();
  const log = openSync(p.log, 'a');
  const child = spawn(process.execPath, [...keeperCommand(), p.dir], { detached: true, stdio: ['ignore', log, log], env: process.env });
  closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.unref();
  for (;;) {
    const info = readInfo(p.info);
    if (info && info.pid === child.pid && (await holdsToken(info))) return info.endpoint;
    if (exited) throw new Error(`the local store of ${p.dir} stopped at start:\n${readFileSync(p.log, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the local store of ${p.dir} did not start in time; see ${p.log}`);
    }
    await sleep(100);
  }
}

async function stopKeeper(pid: number, infoFile: string): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + 20_000;
  while (alive(pid) && Date.now() < until) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(infoFile, { force: true });
}

/** Stops the folder's store if one runs; returns whether one did. */
export async function stopLocalStore(home: string): Promise<boolean> {
  const p = paths(home);
  const info = readInfo(p.info);
  if (!info || !alive(info.pid)) {
    rmSync(p.info, { force: true });
    return false;
  }
  await stopKeeper(info.pid, p.info);
  return true;
}

/** The keeper process: runs the folder's DynamoDB Local until idle, stopped, or the folder is gone. */
export async function runKeeper(home: string, idleSeconds = Number(process.env.BILLING_STORE_IDLE_SECONDS ?? DEFAULT_IDLE_SECONDS)): Promise<void> {
  const p = paths(home);
  const db = await startDynamoDbLocal({ dbPath: p.data });
  const token = randomUUID();
  const client = localClient(db.endpoint);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: IDENTITY_TABLE,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await client.send(new PutItemCommand({ TableName: IDENTITY_TABLE, Item: { pk: { S: 'identity' }, token: { S: token } } }));
  client.destroy();
  const info: StoreInfo = { pid: process.pid, endpoint: db.endpoint, token, startedAt: new Date().toISOString() };
  writeFileSync(`${p.info}.tmp`, JSON.stringify(info));
  renameSync(`${p.info}.tmp`, p.info);
  process.stdout.write(`${info.startedAt} store of ${p.dir} on ${db.endpoint}\n`);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${new Date().toISOString()} stopping: ${why}\n`);
    // Only our own file: a newer keeper may have replaced it.
    if (readInfo(p.info)?.token === token) rmSync(p.info, { force: true });
    await db.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('asked to stop'));
  process.on('SIGINT', () => void stop('interrupted'));
  const timer = setInterval(() => {
    if (!existsSync(p.dir) || readInfo(p.info)?.token !== token) return void stop('its data folder or store file is gone');
    let last = 0;
    try {
      last = statSync(p.used).mtimeMs;
    } catch {
      // No mark: idle since it started.
    }
    if (Date.now() - Math.max(last, Date.parse(info.startedAt)) > idleSeconds * 1000) void stop(`idle for ${idleSeconds} s`);
  }, 2000);
  timer.unref();
  // Keeps the process alive while the JVM runs.
  await new Promise<never>(() => setInterval(() => {}, 1 << 30));
}
