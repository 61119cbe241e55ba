import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { JavaMissingError } from './java-missing-error.ts';

/**
 * Runs AWS's own DynamoDB Local (the jar shipped in the
 * `amplify-dynamodb-simulator` npm package) with the machine's Java, so local
 * runs and tests use real transactions and condition expressions.
 */
export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Directory for the database file; omitted means in memory. */
  dbPath?: string;
  port?: number;
  startTimeoutMs?: number;
  /** How a free port is found (tests put another process on the port it returns). */
  pickPort?: () => Promise<number>;
}

export { JavaMissingError };

export function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, 'bin', 'java') : 'java';
}

/** Fails with install instructions when Java is absent or older than 17. */
export function checkJava(): void {
  const res = spawnSync(javaBinary(), ['-version'], { encoding: 'utf8' });
  if (res.error) throw new JavaMissingError(`'${javaBinary()}' was not found`);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(res.stderr ?? '');
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) throw new JavaMissingError(`found Java ${major || 'of unknown version'}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * The TCP ports a process listens on, from /proc (Linux): the proof that what
 * answers on a port is our own child, not another process's DynamoDB Local
 * that took the port between our look for a free one and Java's bind.
 * Undefined where /proc is not there (the check is then skipped).
 */
export function listeningPortsOf(pid: number): Set<number> | undefined {
  if (!existsSync('/proc/net/tcp')) return undefined;
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // A descriptor closed while we looked.
      }
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 9 is the inode.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.add(Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** A port another process bound first: our child could not start on it. */
class PortTaken extends Error {}

export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const dir = emulatorDir();
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDB Local jar not found under ${dir}: run npm ci`);
  }
  // A port found free may be taken before Java binds it: then another free one, a few times.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await (opts.pickPort ?? freePort)());
    try {
      return await startOn(dir, port, opts);
    } catch (err) {
      if (!(err instanceof PortTaken) || opts.port !== undefined || attempt >= 5) throw err;
    }
  }
}

async function startOn(dir: string, port: number, opts: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const storage = opts.dbPath ? ['-dbPath', resolve(opts.dbPath)] : ['-inMemory'];
  if (opts.dbPath) mkdirSync(opts.dbPath, { recursive: true });
  const child = spawn(
    javaBinary(),
    [
      '-Xms64m',
      // The client JIT only: the optimising compiler's threads took as much CPU as the store itself in a
      // run of a few minutes (35 s against 20 s of CPU for the demo's 30 nights on 2 cores), and local runs
      // and tests are that short.
      '-XX:TieredStopAtLevel=1',
      '-Djava.library.path=' + join(dir, 'DynamoDBLocal_lib'),
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      ...storage,
      // One database whatever the credentials or region the client signs with.
      '-sharedDb',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    // It writes a metadata file into its working directory: keep that out of the checkout.
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.dbPath ? resolve(opts.dbPath) : tmpdir() },
  );
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  // Generous: on a loaded machine the JVM alone can take a minute; readiness, not a fixed wait, ends it.
  const deadline = Date.now() + (opts.startTimeoutMs ?? 180_000);
  try {
    for (;;) {
      // A failed bind leaves the JVM running (its other threads): the output says so, not the exit.
      if (/Address already in use|Failed to bind/.test(output)) throw new PortTaken(`port ${port} was taken by another process before DynamoDB Local could bind it`);
      if (exited) throw new Error(`DynamoDB Local exited at start:\n${output}`);
      // Only our own child counts: something else answering on the port (another command's DynamoDB
      // Local) is never taken for it, or writes would go to someone else's store.
      const ours = listeningPortsOf(child.pid!);
      if (ours === undefined || ours.has(port)) {
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }));
          break;
        } catch {
          // Not ready yet.
        }
      }
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on port ${port}:\n${output}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    client.destroy();
  }
  const stopOnExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnExit);
  return { endpoint, port, stop: () => stopProcess(child, stopOnExit) };
}

async function stopProcess(child: ChildProcess, hook: () => void): Promise<void> {
  process.removeListener('exit', hook);
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A client for DynamoDB Local: any credentials do, the region is Zurich's. Requests carry a fixed
 * Authorization header instead of a signature: DynamoDB Local reads the access key from it and checks no
 * signature, and signing was a quarter of the client's CPU per call (0.7 against 0.5 ms, 2,000 GetItem).
 */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'eu-central-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 5,
    signer: { sign: async (request) => Object.assign(request, { headers: { ...request.headers, authorization: LOCAL_AUTHORIZATION } }) },
  });
}

const LOCAL_AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=local/20260101/eu-central-2/dynamodb/aws4_request, SignedHeaders=host, Signature=0';
