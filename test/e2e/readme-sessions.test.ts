import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'shell-quote';
import { stopLocalStore } from '../../shared/adapters/local/local-store.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../functions/http/local-server.ts';
import { openLocalRuntime } from '../../functions/local-runtime.ts';
import { fixedClock } from '../../shared/ports/clock.ts';
import { runBilling } from '../support/cli.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * The README's example sessions, run as written: a reader who copies them
 * must get what they promise, so the docs cannot rot without this failing.
 * Commented JSON under a command (`# {"status":"paid",...}`) is checked
 * field by field against the answer; `co_484b...` stands for the value of
 * that shape the session saw last.
 */

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The shell blocks of the README that run `npx billing`, each as commands with the comments that follow them. */
function sessions(): { heading: string; steps: { command: string; expect: string[] }[] }[] {
  const out: { heading: string; steps: { command: string; expect: string[] }[] }[] = [];
  const blocks = readme.matchAll(/```sh\n([\s\S]*?)```/g);
  for (const b of blocks) {
    const text = b[1]!;
    if (!/^npx billing /m.test(text)) continue;
    const before = readme.slice(0, b.index);
    const heading = [...before.matchAll(/^#+ (.*)$/gm)].pop()?.[1] ?? '?';
    const steps: { command: string; expect: string[] }[] = [];
    let pending = '';
    for (const raw of text.split('\n')) {
      const line = raw.trimEnd();
      if (line.startsWith('#')) {
        steps.at(-1)?.expect.push(line.replace(/^#\s?/, ''));
        continue;
      }
      if (line.endsWith('\\')) {
        pending += line.slice(0, -1) + ' ';
        continue;
      }
      const [command, inline] = splitComment((pending + line).trim());
      pending = '';
      if (command) steps.push({ command, expect: inline ? [inline] : [] });
    }
    out.push({ heading, steps });
  }
  return out;
}

/** A command and what its trailing `# comment` says of the answer (a `#` inside quotes is not one). */
function splitComment(line: string): [string, string | undefined] {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && /\s/.test(line[i - 1] ?? ' ')) return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
  }
  return [line, undefined];
}

/** `"key":"value"` and `"key":number` pairs written in full in a commented answer (those with `...` are left out). */
function literalPairs(comment: string): [string, string | number][] {
  const pairs: [string, string | number][] = [];
  for (const m of comment.matchAll(/"(\w+)":("((?:[^"\\]|\\.)*)"|-?\d+(?:\.\d+)?)/g)) {
    const value = m[3] !== undefined ? m[3] : Number(m[2]);
    if (typeof value === 'string' && value.includes('...')) continue;
    pairs.push([m[1]!, value]);
  }
  return pairs;
}

function findPairs(value: unknown, found: Map<string, unknown[]>): void {
  if (Array.isArray(value)) value.forEach((v) => findPairs(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (v === null || typeof v !== 'object') found.set(k, [...(found.get(k) ?? []), v]);
      findPairs(v, found);
    }
  }
}

describe('the README example sessions', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const h of homes) {
      await stopLocalStore(join(h, '.billing'));
      rmSync(h, { recursive: true, force: true });
    }
  });
  const all = sessions();

  it('finds the two sessions to run', () => {
    expect(all.map((s) => s.heading)).toEqual(['The `billing` CLI', 'HTTP API']);
  });

  for (const session of all) {
    it(`runs the session under "${session.heading}" as written`, { timeout: 600_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'billing-readme-'));
      homes.push(dir);
      const home = join(dir, '.billing');
      const env: Record<string, string> = {};
      // The answer's field a placeholder of the README stands for: "paymentRef":"pi_sandbox_..." makes pi_sandbox_ a paymentRef.
      const placeholders = new Map<string, string>();
      for (const step of session.steps) {
        for (const c of step.expect) for (const m of c.matchAll(/"(\w+)":"(\w+)\.\.\."/g)) placeholders.set(m[2]!, m[1]!);
      }
      const seen = new Map<string, string[]>();
      let server: { url: string; close(): Promise<void> } | undefined;
      let closeRuntime: (() => Promise<void>) | undefined;

      const billing = async (words: string[]) => {
        const res = await runBilling(home, words);
        expect(res.err, `npx billing ${words.join(' ')}`).toBe('');
        expect(res.code, `npx billing ${words.join(' ')}`).toBe(0);
        return res.out.trim();
      };
      // `$(npx billing ...)` inside a line, and placeholders such as co_484b... filled from earlier answers.
      const expand = async (command: string): Promise<string> => {
        let line = command;
        for (const m of [...line.matchAll(/\$\((npx billing [^)]*)\)/g)]) {
          line = line.replace(m[0], await billing(words(m[1]!).slice(2)));
        }
        return line.replace(/\b(\w+)\.\.\./g, (whole, prefix: string) => {
          const key = placeholders.get(prefix);
          const value = key ? seen.get(key)?.findLast((v) => v.startsWith(prefix)) : undefined;
          if (!value) throw new Error(`no earlier answer gives a value for ${whole}`);
          return value;
        });
      };
      const words = (line: string): string[] =>
        parse(line, (name) => env[name] ?? '')
          // A trailing `# comment` is the reader's, not the command's.
          .filter((w) => !(typeof w === 'object' && 'comment' in w))
          .map((w) => {
            if (typeof w !== 'string') throw new Error(`unexpected shell operator in ${line}`);
            return w;
          });

      try {
        for (const step of session.steps) {
          const line = await expand(step.command);
          let answer: string;
          const assignment = /^(\w+)=\$\((.*)\)$/.exec(step.command);
          if (assignment) {
            env[assignment[1]!] = await billing(words(await expand(assignment[2]!)).slice(2));
            continue;
          }
          if (/^npx billing .*\bserve\b.*&$/.test(line)) {
            // What `serve &` starts, in this process and on a free port; its address replaces 8787 below.
            const argv = words(line.replace(/&$/, ''));
            const today = argv[argv.indexOf('--today') + 1]!;
            const rt = await openLocalRuntime({ home, clock: fixedClock(today), outDir: join(dir, 'out') });
            server = await startLocalServer(rt, { port: 0, home });
            closeRuntime = () => rt.close();
            continue;
          }
          if (line.startsWith('npx billing ')) {
            answer = await billing(words(line).slice(2));
          } else if (line.startsWith('curl ')) {
            if (!server) throw new Error('a curl line before the server was started');
            answer = await curl(words(line).slice(1), server.url);
          } else {
            throw new Error(`the test does not know how to run: ${line}`);
          }
          if (process.env.README_SESSION_DEBUG) console.log(`$ ${line}\n${answer}`);
          try {
            const found = new Map<string, unknown[]>();
            findPairs(JSON.parse(answer), found);
            for (const [key, values] of found) seen.set(key, [...(seen.get(key) ?? []), ...values.filter((v): v is string => typeof v === 'string')]);
            for (const comment of step.expect.filter((c) => c.startsWith('{') || c.startsWith(' "'))) {
              for (const [key, value] of literalPairs(comment)) {
                expect(found.get(key) ?? [], `${key} in the answer to: ${step.command}`).toContainEqual(value);
              }
            }
          } catch (err) {
            if (!(err instanceof SyntaxError)) throw err;
            // A human-readable answer: what the comment names must be in it.
            for (const comment of step.expect) {
              // Document numbers, ids and amounts: the words a reader would look for.
              const tokens = comment.match(/-?\d+\.\d{2}\b|\b[\w]+[-_][\w-]+\b/g) ?? [];
              expect(tokens.length, `nothing to check in "${comment}"`).toBeGreaterThan(0);
              for (const token of tokens) expect(answer, `${token} in the answer to: ${step.command}`).toContain(token);
            }
          }
        }
      } finally {
        await server?.close();
        await closeRuntime?.();
      }
    });
  }
});

/** The few curl options the README uses: -X, -H, -d, and the URL. */
async function curl(args: string[], base: string): Promise<string> {
  let method: string | undefined;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let url = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-X') method = args[++i];
    else if (a === '-H') {
      const [name, ...rest] = args[++i]!.split(':');
      headers[name!.trim()] = rest.join(':').trim();
    } else if (a === '-d') body = args[++i];
    else if (a.startsWith('http')) url = a.replace('http://127.0.0.1:8787', base);
    else throw new Error(`curl option ${a} is not known to this test`);
  }
  if (body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(url, { method: method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
  return res.text();
}
