/**
 * A zip of invoice PDFs, streamed: one PDF in memory at a time.
 *
 * Entries are stored, not deflated: a PDF's content streams are already
 * compressed, so deflating again costs CPU for a few percent, and a stored
 * entry is written to yazl's output as soon as it is added, which is what
 * lets the writer wait for 'drain' and keep memory flat. A lazy entry
 * (`pdf` as a function) is rendered only when its turn comes.
 *
 * Names are sanitised (see `sanitiseZipEntryName`) and made unique,
 * case-insensitively, by appending " (2)", " (3)", ... before the extension.
 */
import type { PassThrough } from 'node:stream';
import { ZipFile } from 'yazl';
import { pipeInto } from './stream-util.ts';

export interface PdfZipEntry {
  name: string;
  pdf: Buffer | (() => Promise<Buffer>);
}

/** Longest entry name, in UTF-8 bytes (Windows tools choke on long paths; 255 is the usual file-name limit). */
const MAX_NAME_BYTES = 200;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

function truncateUtf8(value: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of value) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * A flat, portable file name: no directories (`/` and `\` become `_`), no
 * `..`, no control or bidi-override characters, none of `:*?"<>|`, no
 * leading dots, no trailing dots or spaces, not a Windows device name, at
 * most 200 UTF-8 bytes (the extension kept), NFC-normalised; "document" when
 * nothing is left.
 */
export function sanitiseZipEntryName(name: string): string {
  let s = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  if (Buffer.byteLength(s) > MAX_NAME_BYTES) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 10 ? s.slice(dot) : '';
    s = truncateUtf8(s.slice(0, s.length - ext.length), MAX_NAME_BYTES - Buffer.byteLength(ext)).trimEnd() + ext;
  }
  return s === '' ? 'document' : s;
}

function uniqueName(name: string, used: Set<string>): string {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let candidate = name;
  for (let n = 2; used.has(candidate.toLowerCase()); n += 1) candidate = `${stem} (${n})${ext}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

/**
 * Writes a zip of the PDFs to `out`, entry by entry, waiting for 'drain'
 * whenever `out` is behind; ends `out`. On an error (a PDF that fails to
 * render, `out` failing) both streams are destroyed and the promise rejects.
 */
export async function writePdfZip(entries: AsyncIterable<PdfZipEntry>, out: NodeJS.WritableStream): Promise<{ files: number }> {
  const zip = new ZipFile();
  // yazl's output is a PassThrough; its typings only say ReadableStream.
  const output = zip.outputStream as PassThrough;
  zip.on('error', (err: Error) => output.destroy(err));
  const pipe = pipeInto(output, out);
  const used = new Set<string>();
  let files = 0;
  try {
    for await (const entry of entries) {
      const pdf = typeof entry.pdf === 'function' ? await entry.pdf() : entry.pdf;
      if (!Buffer.isBuffer(pdf)) throw new TypeError(`${entry.name}: the PDF is not a Buffer`);
      zip.addBuffer(pdf, uniqueName(sanitiseZipEntryName(entry.name), used), { compress: false });
      files += 1;
      if (output.writableNeedDrain) await pipe.waitForRoom();
    }
  } catch (err) {
    return pipe.fail(err);
  }
  // yazl ends its output stream itself once the central directory is written.
  zip.end();
  await pipe.finish({ end: false });
  return { files };
}
