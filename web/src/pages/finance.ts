import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDate } from '../format.ts';
import { html } from '../html.ts';
import type { TextKey } from '../i18n.ts';
import type { BankCredit, BankImport, ExportJob, HeldOrder } from '../types.ts';
import { errorText, Failed, Loading, money, Notice, Page, useApp, useLoad } from '../ui.ts';

/** A period's export (documents CSV, lines CSV, PDFs zip), followed until its files can be downloaded. */
export function ExportsPage() {
  const { t } = useApp();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [lines, setLines] = useState(false);
  const [pdf, setPdf] = useState(false);
  const [job, setJob] = useState<{ data?: ExportJob; error?: unknown; busy?: boolean }>({});
  useEffect(() => {
    const id = job.data?.exportId;
    if (!id || job.data!.status === 'done' || job.data!.status === 'failed') return;
    const timer = setTimeout(() => {
      api<ExportJob>('GET', `/v1/exports/${encodeURIComponent(id)}`).then(
        (data) => setJob({ data }),
        (error: unknown) => setJob({ error }),
      );
    }, 700);
    return () => clearTimeout(timer);
  }, [job.data]);
  const start = async (e: Event) => {
    e.preventDefault();
    setJob({ busy: true });
    try {
      setJob({ data: await api<ExportJob>('POST', '/v1/exports', { body: { from, to, lines, pdf } }) });
    } catch (error) {
      setJob({ error });
    }
  };
  const d = job.data;
  const step = !d ? 0 : d.status === 'queued' ? 1 : d.status === 'running' ? 2 : 3;
  return html`<${Page} title=${t('ex.title')}>
    <form onSubmit=${start} class="card" novalidate>
      <div class="fields">
        <label>${t('ex.from')} <input type="date" required value=${from} onInput=${(e: Event) => setFrom((e.target as HTMLInputElement).value)} /></label>
        <label>${t('ex.to')} <input type="date" required value=${to} onInput=${(e: Event) => setTo((e.target as HTMLInputElement).value)} /></label>
      </div>
      <label class="check"><input type="checkbox" checked=${lines} onChange=${(e: Event) => setLines((e.target as HTMLInputElement).checked)} /> ${t('ex.lines')}</label>
      <label class="check"><input type="checkbox" checked=${pdf} onChange=${(e: Event) => setPdf((e.target as HTMLInputElement).checked)} /> ${t('ex.pdf')}</label>
      <button type="submit" class="primary" disabled=${job.busy || (d && step < 3)}>${t('ex.button')}</button>
    </form>
    ${job.error ? html`<${Notice} kind="error">${errorText(t, job.error)}<//>` : null}
    ${
      d
        ? html`<section class="card" aria-labelledby="export-progress">
            <h2 id="export-progress">${t('ex.progress')}</h2>
            <progress max="3" value=${step} aria-labelledby="export-progress"></progress>
            <p role="status">
              ${
                d.status === 'queued'
                  ? t('ex.queued')
                  : d.status === 'running'
                    ? t('ex.running')
                    : d.status === 'failed'
                      ? t('ex.failed', { error: d.error ?? '' })
                      : t('ex.done', { documents: d.totals?.documents ?? 0, rows: d.totals?.rows ?? 0 })
              }
            </p>
            ${
              d.totals
                ? html`<ul>
                    ${Object.entries(d.totals.byCurrency).map(
                      ([currency, x]) =>
                        html`<li key=${currency}>
                          ${t('ex.byCurrency', { currency, net: money(x.net, currency), vat: money(x.vat, currency), gross: money(x.gross, currency) })}
                        </li>`,
                    )}
                  </ul>`
                : null
            }
            <div class="toolbar">
              ${d.csvUrl ? html`<a class="button" href=${d.csvUrl} download>${t('ex.csv')}</a>` : null}
              ${d.zipUrl ? html`<a class="button" href=${d.zipUrl} download>${t('ex.zip')}</a>` : null}
            </div>
          </section>`
        : null
    }
  <//>`;
}

const GROUPS: [TextKey, (c: BankCredit) => boolean][] = [
  ['group.partial', (c) => c.outcome === 'partial'],
  ['group.unmatched', (c) => c.outcome === 'unmatched'],
  ['group.currency', (c) => c.outcome === 'wrong-currency'],
  ['group.reversal', (c) => c.outcome === 'reversed' || c.outcome === 'reversal-unmatched'],
  ['group.other', (c) => !['partial', 'unmatched', 'wrong-currency', 'reversed', 'reversal-unmatched'].includes(c.outcome)],
];

/** A camt.054 file in: what it settled and the part payments; then everything finance must look at, by kind. */
export function BankPage() {
  const { t } = useApp();
  const review = useLoad(() => api<{ credits: BankCredit[] }>('GET', '/v1/finance/bank-credits'), []);
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; report?: BankImport }>({});
  const upload = async (e: Event) => {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).elements.namedItem('camt') as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    setState({ busy: true });
    try {
      const report = await api<BankImport>('POST', '/v1/finance/bank-statements', { raw: { text: await file.text(), type: 'application/xml' } });
      setState({ report });
      review.reload();
    } catch (error) {
      setState({ error });
    }
  };
  const r = state.report;
  if (review.error) return html`<${Failed} error=${review.error} />`;
  return html`<${Page} title=${t('bank.title')}>
    <form onSubmit=${upload} class="card">
      <label for="camt">${t('bank.file')}</label>
      <input id="camt" name="camt" type="file" accept=".xml,application/xml,text/xml" required />
      <button type="submit" class="primary" disabled=${state.busy}>${state.busy ? t('pay.working') : t('bank.button')}</button>
    </form>
    ${state.error ? html`<${Notice} kind="error">${errorText(t, state.error)}<//>` : null}
    ${
      r
        ? html`<section class="card" aria-labelledby="report-title">
            <h2 id="report-title">${t('bank.result', { id: r.statementId })}</h2>
            ${r.alreadyImported ? html`<${Notice} kind="info">${t('bank.again')}<//>` : null}
            <p role="status">
              ${
                Object.keys(r.settled).length > 0
                  ? t('bank.settled', {
                      amounts: Object.entries(r.settled)
                        .map(([c, a]) => money(a, c))
                        .join(', '),
                    })
                  : t('bank.nothingSettled')
              }
            </p>
            <${Credits} credits=${r.credits} />
          </section>`
        : null
    }
    <section aria-labelledby="review-title">
      <h2 id="review-title">${t('bank.reviewTitle')}</h2>
      ${
        !review.data
          ? html`<${Loading} />`
          : review.data.credits.length === 0
            ? html`<p>${t('bank.reviewNone')}</p>`
            : GROUPS.map(([title, match]) => {
                const credits = review.data!.credits.filter(match);
                return credits.length === 0
                  ? null
                  : html`<section key=${title} class="group">
                      <h3>${t(title)} (${credits.length})</h3>
                      <${Credits} credits=${credits} />
                    </section>`;
              })
      }
    </section>
  <//>`;
}

function Credits({ credits }: { credits: BankCredit[] }) {
  const { t } = useApp();
  return html`<table>
    <thead>
      <tr>
        <th scope="col">${t('col.reference')}</th>
        <th scope="col">${t('col.date')}</th>
        <th scope="col" class="num">${t('col.amount')}</th>
        <th scope="col">${t('col.outcome')}</th>
        <th scope="col">${t('col.document')}</th>
        <th scope="col">${t('col.note')}</th>
      </tr>
    </thead>
    <tbody>
      ${credits.map(
        (c) =>
          html`<tr key=${c.id}>
            <th scope="row">${c.id}</th>
            <td>${c.bookingDate ? formatDate(c.bookingDate) : ''}</td>
            <td class="num">${money(c.amount, c.currency)}</td>
            <td>${t(`outcome.${c.outcome}` as TextKey)}</td>
            <td>${c.documentNumber ?? ''}</td>
            <td>${c.note ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Orders paid but held for an identity check: released (fulfilled) or cancelled (refunded), after a second click. */
export function HeldOrdersPage() {
  const { t } = useApp();
  const held = useLoad(() => api<{ orders: HeldOrder[] }>('GET', '/v1/finance/held-orders'), []);
  const [confirming, setConfirming] = useState<string>();
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const act = async (o: HeldOrder, action: 'release' | 'cancel') => {
    const id = o.checkout.checkoutId;
    try {
      await api('POST', `/v1/finance/orgs/${encodeURIComponent(o.orgId)}/orders/${encodeURIComponent(id)}/${action}`);
      setMessage({ kind: 'ok', text: t(action === 'release' ? 'held.released' : 'held.canceled', { id }) });
      setConfirming(undefined);
      held.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(t, err) });
    }
  };
  if (held.error) return html`<${Failed} error=${held.error} />`;
  return html`<${Page} title=${t('held.title')}>
    ${message ? html`<${Notice} kind=${message.kind}>${message.text}<//>` : null}
    ${
      !held.data
        ? html`<${Loading} />`
        : held.data.orders.length === 0
          ? html`<p>${t('held.none')}</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">${t('col.number')}</th>
                  <th scope="col">${t('col.org')}</th>
                  <th scope="col">${t('col.heldSince')}</th>
                  <th scope="col">${t('col.items')}</th>
                  <th scope="col" class="num">${t('col.total')}</th>
                  <th scope="col">${t('col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                ${held.data.orders.map(
                  (o) =>
                    html`<tr key=${o.checkout.checkoutId}>
                      <th scope="row">${o.checkout.checkoutId}</th>
                      <td>${o.orgName}</td>
                      <td>${formatDate(o.heldSince)}</td>
                      <td>${o.checkout.items.map((i) => i.productName).join(', ')}</td>
                      <td class="num">${money(o.checkout.total, o.checkout.currency)}</td>
                      <td class="actions">
                        <button type="button" onClick=${() => act(o, 'release')}>${t('held.release', { id: o.checkout.checkoutId })}</button>
                        ${
                          confirming === o.checkout.checkoutId
                            ? html`<button type="button" class="danger" onClick=${() => act(o, 'cancel')}>
                                ${t('held.confirm', { amount: money(o.checkout.total, o.checkout.currency) })}
                              </button>`
                            : html`<button type="button" class="secondary" onClick=${() => setConfirming(o.checkout.checkoutId)}>
                                ${t('held.cancel', { id: o.checkout.checkoutId })}
                              </button>`
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  <//>`;
}
