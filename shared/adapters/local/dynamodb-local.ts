import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

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
}

export class JavaMissingError extends Error {
  constructor(detail: string) {
    super(
      `Java 17 or newer is needed to run DynamoDB Local (${detail}). ` +
        'Install it with: apt-get install -y openjdk-17-jre-headless (Debian/Ubuntu), ' +
        'brew install openjdk@17 (macOS), or set JAVA_HOME to a JDK 17+.',
    );
    this.name = 'JavaMissingError';
  }
}

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

export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const dir = emulatorDir();
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDB Local jar not found under ${dir}: run npm ci`);
  }
  const port = opts.port ?? (await freePort());
  const storage = opts.dbPath ? ['-dbPath', resolve(opts.dbPath)] : ['-inMemory'];
  if (opts.dbPath) mkdirSync(opts.dbPath, { recursive: true });
  const child = spawn(
    javaBinary(),
    [
      '-Xms64m',
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
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exited) throw new Error(`DynamoDB Local exited at start:\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on port ${port}:\n${output}`);
        await new Promise((r) => setTimeout(r, 150));
      }
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

/** A client for DynamoDB Local: any credentials do, the region is Zurich's. */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'eu-central-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 5,
  });
}
