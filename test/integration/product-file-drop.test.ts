import type { Context, S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeImportProductsFileHandler, type DroppedFileReport, type ProductFiles } from '../../functions/backoffice/import-products-file.ts';
import { anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * Product files dropped in the documents bucket under
 * `imports/incoming/<orgId>/`, as the provider's shop or an SFTP sync puts
 * them: imported row by row, each file's report written under
 * `imports/reports/`, the import on the audit trail. The bucket is a map
 * here; the rows and their outcomes are written by hand.
 */
const db = useDynamoDbLocal();

function bucket(initial: Record<string, string> = {}) {
  const objects = new Map(Object.entries(initial));
  const files: ProductFiles = {
    read: async (_b, key) => {
      const body = objects.get(key);
      if (body === undefined) throw new Error(`NoSuchKey ${key}`);
      return body;
    },
    write: async (_b, key, body) => void objects.set(key, body),
  };
  return { objects, files };
}

let sequencer = 0;
const dropped = (key: string, size = 100): S3Event =>
  ({
    Records: [{ s3: { bucket: { name: 'docs' }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size, sequencer: `seq${++sequencer}` } } }],
  }) as unknown as S3Event;

const CSV = [
  'id,typeId,name,expiry,periodMonths,autoRenew',
  'shop-1,domain-ch,shop-1.ch,2027-03-01,12,false',
  'shop-2,spaceship,shop-2.ch,2027-03-01,12,false',
  'shop-3,domain-ch,shop-3.ch,01.03.2027,12,false',
].join('\n');

describe('product files dropped in the bucket', () => {
  it('imports each row, writes the report beside the file and the import on the audit trail, and adds nothing twice when the file comes again', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    await anOrg(rt, { id: 'acme' });
    const { objects, files } = bucket({ 'imports/incoming/acme/shop 2026-12.csv': CSV });
    const handler = makeImportProductsFileHandler(rt.deps, files);

    const [first] = (await handler(dropped('imports/incoming/acme/shop 2026-12.csv'), {} as Context)) as DroppedFileReport[];
    const written = JSON.parse(objects.get('imports/reports/acme/shop 2026-12.csv.report.json')!) as DroppedFileReport & {
      report: { row: number; status: string; code?: string }[];
    };
    expect(written).toEqual(first);
    expect(written).toMatchObject({ file: 'imports/incoming/acme/shop 2026-12.csv', orgId: 'acme', rows: 3, added: 1, unchanged: 0, refused: 2 });
    // Rows are counted from the header line (line 1), as a spreadsheet shows them.
    expect(written.report.map((r) => [r.row, r.status, r.code ?? ''])).toEqual([
      [2, 'added', ''],
      [3, 'refused', 'unknown_product_type'],
      [4, 'refused', 'invalid_input'],
    ]);
    expect((await rt.store.listProducts('acme')).map((p) => [p.id, p.typeId, p.expiry])).toEqual([['shop-1', 'domain-ch', '2027-03-01']]);

    await handler(dropped('imports/incoming/acme/shop 2026-12.csv'), {} as Context);
    expect(JSON.parse(objects.get('imports/reports/acme/shop 2026-12.csv.report.json')!)).toMatchObject({ rows: 3, added: 0, unchanged: 1, refused: 2 });
    expect(await rt.store.listProducts('acme')).toHaveLength(1);

    const trail = (await rt.store.listAuditEntries('2026-12-10')).map((e) => [e.client, e.action, e.orgId, e.target, e.status, e.summary]);
    expect(trail).toEqual([
      ['s3|drop', 'S3 imports/incoming/', 'acme', 'shop 2026-12.csv', 'done', '3 rows: 1 added, 0 unchanged, 2 refused'],
      ['s3|drop', 'S3 imports/incoming/', 'acme', 'shop 2026-12.csv', 'done', '3 rows: 0 added, 1 unchanged, 2 refused'],
    ]);
  });

  it('refuses a file as a whole with a report saying why, changing nothing: no such organisation, another format, an empty or oversized file', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    await anOrg(rt, { id: 'acme' });
    const { objects, files } = bucket({
      'imports/incoming/nobody/a.csv': CSV,
      'imports/incoming/acme/a.xlsx': 'PK...',
      'imports/incoming/acme/empty.ndjson': '\n\n',
      'imports/incoming/acme/huge.csv': CSV,
      'imports/incoming/loose.csv': CSV,
    });
    const handler = makeImportProductsFileHandler(rt.deps, files);
    const errorOf = async (key: string, size?: number) => {
      const [r] = (await handler(dropped(key, size), {} as Context)) as DroppedFileReport[];
      return 'error' in r! ? r.error.code : 'imported';
    };
    expect(await errorOf('imports/incoming/nobody/a.csv')).toBe('org_not_found');
    expect(objects.get('imports/reports/nobody/a.csv.report.json')).toContain('org_not_found');
    expect(await errorOf('imports/incoming/acme/a.xlsx')).toBe('unsupported_media_type');
    expect(await errorOf('imports/incoming/acme/empty.ndjson')).toBe('empty_import');
    expect(await errorOf('imports/incoming/acme/huge.csv', 11 * 1024 * 1024)).toBe('import_too_large');
    expect(await errorOf('imports/incoming/loose.csv')).toBe('invalid_file_key');
    expect(objects.has('imports/reports/_unknown/loose.csv.report.json')).toBe(true);
    expect(await rt.store.listProducts('acme')).toEqual([]);
    expect((await rt.store.listAuditEntries('2026-12-10')).map((e) => [e.status, e.code])).toEqual(Array(5).fill(['refused', expect.any(String)]));
  });

  it('fails the invocation on anything but a refusal, so S3 retries it and then parks it on the imports DLQ', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-10' });
    await anOrg(rt, { id: 'acme' });
    const handler = makeImportProductsFileHandler(rt.deps, bucket().files);
    await expect(handler(dropped('imports/incoming/acme/gone.csv'), {} as Context)).rejects.toThrow(/NoSuchKey/);
    expect(await rt.store.listProducts('acme')).toEqual([]);
  });
});
