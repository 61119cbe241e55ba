/**
 * The PDF floor: one invoice page with its QR-bill drawn by hand with bare
 * pdfkit + swissqrbill in Helvetica, from the document's fields alone: no
 * labels table, no layout engine, no measuring, no page breaks, no logo. It is
 * the least a renderer of this page can do, written here without the engine's
 * drawing code, so the engine's rate is judged against something it did not
 * produce.
 */
import { Buffer } from 'node:buffer';
import PDFDocument from 'pdfkit';
import { SwissQRBill } from 'swissqrbill/pdf';
import type { Data } from 'swissqrbill/types';

export interface FloorLine {
  description: string;
  period: string;
  unitPrice: string;
  quantity: string;
  vatRate: string;
  vat: string;
  net: string;
}

export interface FloorPage {
  title: string;
  number: string;
  issueDate: string;
  seller: string[];
  buyer: string[];
  lines: FloorLine[];
  totals: [string, string][];
  qr: Data;
}

const COLUMNS = [
  { x: 50, w: 140, align: 'left' },
  { x: 190, w: 104, align: 'left' },
  { x: 294, w: 64, align: 'right' },
  { x: 358, w: 38, align: 'right' },
  { x: 396, w: 45, align: 'right' },
  { x: 441, w: 50, align: 'right' },
  { x: 491, w: 54, align: 'right' },
] as const;

export function renderFloorPage(page: FloorPage): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margins: { top: 40, left: 50, right: 50, bottom: 0 }, info: { Title: `${page.title} ${page.number}` } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(11).text(page.seller[0]!, 50, 40);
  doc.font('Helvetica').fontSize(8).text(page.seller.slice(1).join('\n'), 50, 56);
  doc.fontSize(10).text(page.buyer.join('\n'), 330, 120, { width: 215 });
  doc.font('Helvetica-Bold').fontSize(16).text(`${page.title} ${page.number}`, 50, 200);
  doc.font('Helvetica').fontSize(9).text(page.issueDate, 50, 222);
  let y = 250;
  for (const line of page.lines) {
    const cells = [line.description, line.period, line.unitPrice, line.quantity, line.vatRate, line.vat, line.net];
    cells.forEach((cell, i) => doc.fontSize(8).text(cell, COLUMNS[i]!.x, y, { width: COLUMNS[i]!.w, align: COLUMNS[i]!.align }));
    y += 26;
  }
  doc.moveTo(50, y).lineTo(545, y).lineWidth(0.6).stroke();
  y += 8;
  for (const [label, amount] of page.totals) {
    doc.font('Helvetica').fontSize(9).text(label, 330, y, { width: 120 });
    doc.text(amount, 450, y, { width: 95, align: 'right' });
    y += 14;
  }
  new SwissQRBill(page.qr, { language: 'FR', scissors: true }).attachTo(doc, 0, 841.89 - SwissQRBill.height);
  doc.end();
  return done;
}
