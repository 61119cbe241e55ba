import { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sanitiseZipEntryName, writePdfZip, type PdfZipEntry } from '../../../shared/adapters/export/index.ts';
import { collector, fromArray } from './fixtures.ts';

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  data: Buffer;
}

/**
 * Reads a zip back from its central directory, as unzip tools do: the end
 * record, then each central record, then the local header it points to.
 * Handles stored entries only (what the writer produces) and checks CRCs.
 */
function readZip(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('no end of central directory record');
  const count = zip.readUInt16LE(eocd + 10);
  const cdSize = zip.readUInt32LE(eocd + 12);
  let p = zip.readUInt32LE(eocd + 16);
  if (p + cdSize !== eocd) throw new Error('central directory does not end at the end record');
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory signature at ${p}`);
    const flags = zip.readUInt16LE(p + 8);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    p += 46 + nameLength + extraLength + commentLength;

    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`bad local header signature for ${name}`);
    const localName = zip.subarray(localOffset + 30, localOffset + 30 + zip.readUInt16LE(localOffset + 26)).toString('utf8');
    if (localName !== name) throw new Error(`local name ${localName} differs from central ${name}`);
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    if (method !== 0 || compressedSize !== size) throw new Error(`${name}: not stored`);
    const data = zip.subarray(start, start + size);
    if (crc32(data) !== crc) throw new Error(`${name}: CRC mismatch`);
    entries.push({ name, method, flags, data });
  }
  return entries;
}

const pdf = (label: string, size = 2000) => Buffer.concat([Buffer.from(`%PDF-1.7\n% ${label}\n`), Buffer.alloc(size, label.charCodeAt(0)), Buffer.from('\n%%EOF\n')]);

describe('writePdfZip', () => {
  it('writes a zip that reads back: names, contents and CRCs, eager and lazy entries', async () => {
    const entries: PdfZipEntry[] = [
      { name: 'INV-CH-2026-000001.pdf', pdf: pdf('a') },
      { name: 'INV-CH-2026-000002.pdf', pdf: async () => pdf('b', 50_000) },
      { name: 'CN-CH-2026-000001 Société Müller.pdf', pdf: pdf('c', 0) },
    ];
    const sink = collector();
    const result = await writePdfZip(fromArray(entries), sink.stream);
    expect(result).toEqual({ files: 3 });

    const zip = sink.buffer();
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    const read = readZip(zip);
    expect(read.map((e) => e.name)).toEqual(['INV-CH-2026-000001.pdf', 'INV-CH-2026-000002.pdf', 'CN-CH-2026-000001 Société Müller.pdf']);
    const expected = [pdf('a'), pdf('b', 50_000), pdf('c', 0)];
    read.forEach((e, i) => expect(e.data.equals(expected[i]!)).toBe(true));
    // The UTF-8 name flag, so accents read back right in every unzip tool.
    expect(read.every((e) => (e.flags & 0x0800) !== 0)).toBe(true);
    // One local file header per entry, and nothing else in the file that looks like one.
    let headers = 0;
    for (let i = zip.indexOf('PK\x03\x04', 0, 'latin1'); i >= 0; i = zip.indexOf('PK\x03\x04', i + 1, 'latin1')) headers += 1;
    expect(headers).toBe(3);
  });

  it('writes a valid empty zip when there is nothing to put in it', async () => {
    const sink = collector();
    expect(await writePdfZip(fromArray([]), sink.stream)).toEqual({ files: 0 });
    expect(readZip(sink.buffer())).toEqual([]);
    expect(sink.buffer().length).toBe(22);
  });

  it('sanitises names: no directories, no traversal, no reserved characters, and keeps them unique', async () => {
    const names = ['../../etc/passwd', '/abs/INV-1.pdf', 'C:\\Windows\\INV-1.pdf', 'INV-1.pdf', 'inv-1.PDF', 'a:b*c?d"e<f>g|h.pdf', '', '...', 'CON.pdf'];
    const sink = collector();
    await writePdfZip(fromArray(names.map((name) => ({ name, pdf: pdf('x', 10) }))), sink.stream);
    expect(readZip(sink.buffer()).map((e) => e.name)).toEqual([
      '_.._etc_passwd',
      '_abs_INV-1.pdf',
      'C__Windows_INV-1.pdf',
      'INV-1.pdf',
      'inv-1 (2).PDF',
      'a_b_c_d_e_f_g_h.pdf',
      'document',
      'document (2)',
      '_CON.pdf',
    ]);
  });

  it('sanitiseZipEntryName strips control and bidi characters, trailing dots, and truncates long names keeping the extension', () => {
    expect(sanitiseZipEntryName('inv\u0000oice\n.pdf')).toBe('invoice.pdf');
    expect(sanitiseZipEntryName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitiseZipEntryName('  .hidden. . ')).toBe('hidden');
    expect(sanitiseZipEntryName('Cafe\u0301.pdf')).toBe('Café.pdf');
    const long = sanitiseZipEntryName(`${'é'.repeat(300)}.pdf`);
    expect(long.endsWith('é.pdf')).toBe(true);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(200);
  });

  it('renders lazy PDFs one at a time and only when the output has taken the previous ones', async () => {
    const size = 100_000;
    const count = 40;
    let received = 0;
    let rendering = 0;
    let maxRendering = 0;
    let maxAhead = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        setImmediate(cb);
      },
    });
    async function* entries(): AsyncGenerator<PdfZipEntry> {
      for (let i = 0; i < count; i += 1) {
        yield {
          name: `INV-${i}.pdf`,
          pdf: async () => {
            rendering += 1;
            maxRendering = Math.max(maxRendering, rendering);
            // PDFs asked for minus PDFs the output has taken.
            maxAhead = Math.max(maxAhead, i - Math.floor(received / size));
            await new Promise((r) => setImmediate(r));
            rendering -= 1;
            return Buffer.alloc(size, i);
          },
        };
      }
    }
    const { files } = await writePdfZip(entries(), slow);
    expect(files).toBe(count);
    expect(maxRendering).toBe(1);
    expect(maxAhead).toBeLessThanOrEqual(2);
    expect(slow.writableFinished).toBe(true);
  });

  it('rejects and destroys the output when a PDF fails to render', async () => {
    async function* entries(): AsyncGenerator<PdfZipEntry> {
      yield { name: 'a.pdf', pdf: pdf('a') };
      yield {
        name: 'b.pdf',
        pdf: async () => {
          throw new Error('render failed');
        },
      };
    }
    const sink = collector();
    await expect(writePdfZip(entries(), sink.stream)).rejects.toThrow('render failed');
    expect(sink.stream.destroyed).toBe(true);
  });
});
