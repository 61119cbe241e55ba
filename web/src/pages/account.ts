import { useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDate } from '../format.ts';
import { html } from '../html.ts';
import type { TextKey } from '../i18n.ts';
import type { Balance, Checkout, InvoiceSummary, Membership, SavedMethod } from '../types.ts';
import { DownloadButton, errorText, Failed, Loading, money, Notice, Page, useApp, useLoad } from '../ui.ts';
import { enc, Result } from './payments.ts';

/** Invoices, pro-formas and credit notes, newest first, each PDF (and a final document's e-invoice) a click away. */
export function InvoicesPage({ org }: { org: Membership }) {
  const { t } = useApp();
  const list = useLoad(() => api<{ invoices: InvoiceSummary[] }>('GET', `/v1/orgs/${enc(org.orgId)}/invoices`), [org.orgId]);
  if (list.error) return html`<${Failed} error=${list.error} />`;
  return html`<${Page} title=${t('inv.title')}>
    ${
      !list.data
        ? html`<${Loading} />`
        : list.data.invoices.length === 0
          ? html`<p>${t('inv.none')}</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">${t('col.number')}</th>
                  <th scope="col">${t('col.document')}</th>
                  <th scope="col">${t('col.date')}</th>
                  <th scope="col">${t('col.status')}</th>
                  <th scope="col" class="num">${t('col.total')}</th>
                  <th scope="col" class="num">${t('col.due')}</th>
                  <th scope="col">PDF</th>
                  <th scope="col">${t('inv.eInvoice')}</th>
                </tr>
              </thead>
              <tbody>
                ${list.data.invoices.map(
                  (i) =>
                    html`<tr key=${i.number}>
                      <th scope="row">${i.number}</th>
                      <td>${t(`series.${i.series}` as TextKey)}</td>
                      <td>${formatDate(i.issueDate)}</td>
                      <td>${t(`invStatus.${i.status}` as TextKey)}</td>
                      <td class="num">${money(i.total, i.currency)}</td>
                      <td class="num">${money(i.amountDue, i.currency)}</td>
                      <td><${DownloadButton} path=${i.pdf} name=${`${i.number}.pdf`} label=${t('inv.download', { number: i.number })} /></td>
                      <td>${i.xml ? html`<${DownloadButton} path=${i.xml} name=${`${i.number}.xml`} label=${t('inv.downloadXml', { number: i.number })} />` : null}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  <//>`;
}

/** The balance and its ledger, and a top-up of 0.10 to 9999 by card, PostFinance (CHF) or bank transfer. */
export function BalancePage({ org }: { org: Membership }) {
  const { t } = useApp();
  const balance = useLoad(() => api<Balance>('GET', `/v1/orgs/${enc(org.orgId)}/balance`), [org.orgId]);
  const [amount, setAmount] = useState('');
  const [method, setMethod] = useState<'card' | 'postfinance' | 'iban'>('card');
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; done?: Checkout }>({});
  const key = useRef<{ for: string; id: string } | undefined>(undefined);
  // The FAQ's top-up methods, as far as this shop's provider offers them in the currency (the bank transfer always).
  const methods = (['card', 'postfinance', 'iban'] as const).filter((m) => org.methods.includes(m));

  const topUp = async (e: Event) => {
    e.preventDefault();
    const fingerprint = `${amount}|${method}`;
    if (!key.current || key.current.for !== fingerprint) key.current = { for: fingerprint, id: crypto.randomUUID() };
    setState({ busy: true });
    try {
      const checkout = await api<Checkout>('POST', `/v1/orgs/${enc(org.orgId)}/balance/top-ups`, {
        headers: { 'idempotency-key': key.current.id },
        body: { amount: amount.trim(), method, ...(method === 'iban' ? {} : { returnUrl: `${location.origin}/pay?org=${enc(org.orgId)}` }) },
      });
      if (checkout.payment?.url) {
        location.assign(checkout.payment.url);
        return;
      }
      setState({ done: checkout });
    } catch (error) {
      setState({ error });
    }
  };
  if (balance.error) return html`<${Failed} error=${balance.error} />`;
  return html`<${Page} title=${t('bal.title')}>
    ${!balance.data ? html`<${Loading} />` : html`<p class="balance"><span>${t('bal.current')}</span> <strong>${money(balance.data.balance, balance.data.currency)}</strong></p>`}
    <section aria-labelledby="topup-title" class="card">
      <h2 id="topup-title">${t('topup.title')}</h2>
      <form onSubmit=${topUp} novalidate>
        <label for="topup-amount">${t('topup.amount', { currency: org.currency })}</label>
        <input id="topup-amount" name="amount" inputmode="decimal" autocomplete="off" value=${amount} onInput=${(e: Event) => setAmount((e.target as HTMLInputElement).value)} />
        <fieldset class="methods">
          <legend>${t('method.legend')}</legend>
          ${methods.map(
            (m) =>
              html`<label key=${m}>
                <input type="radio" name="topup-method" value=${m} checked=${method === m} onChange=${() => setMethod(m)} />
                ${t(`method.${m}` as TextKey)}
              </label>`,
          )}
        </fieldset>
        ${state.error ? html`<${Notice} kind="error">${errorText(t, state.error, { currency: org.currency })}<//>` : null}
        <button type="submit" class="primary" disabled=${state.busy}>${state.busy ? t('pay.working') : t('topup.button')}</button>
      </form>
      ${state.done ? html`<${Result} org=${org} checkout=${state.done} />` : null}
    </section>
    <section aria-labelledby="ledger-title">
      <h2 id="ledger-title">${t('bal.ledger')}</h2>
      ${
        !balance.data
          ? null
          : balance.data.ledger.length === 0
            ? html`<p>${t('bal.none')}</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">${t('col.date')}</th>
                    <th scope="col">${t('col.reason')}</th>
                    <th scope="col">${t('col.reference')}</th>
                    <th scope="col" class="num">${t('col.amount')}</th>
                    <th scope="col" class="num">${t('col.balanceAfter')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${balance.data.ledger.map(
                    (l) =>
                      html`<tr key=${l.id}>
                        <td>${formatDate(l.date)}</td>
                        <td>${t(`reason.${l.reason}` as TextKey)}</td>
                        <td>${l.ref}</td>
                        <td class="num">${money(l.amount, balance.data!.currency)}</td>
                        <td class="num">${money(l.balanceAfter, balance.data!.currency)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
      }
    </section>
  <//>`;
}

/** Saved methods with the products each renews; removing one, adding one (the provider confirms it). */
export function MethodsPage({ org }: { org: Membership }) {
  const { t } = useApp();
  const list = useLoad(() => api<{ paymentMethods: SavedMethod[] }>('GET', `/v1/orgs/${enc(org.orgId)}/payment-methods`), [org.orgId]);
  const [message, setMessage] = useState<{ kind: 'ok' | 'info' | 'error'; text: string }>();
  const remove = async (m: SavedMethod) => {
    try {
      await api('DELETE', `/v1/orgs/${enc(org.orgId)}/payment-methods/${enc(m.id)}`);
      setMessage({ kind: 'ok', text: t('pm.removed', { label: m.label }) });
      list.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(t, err) });
    }
  };
  const add = async (kind: 'card' | 'twint' | 'paypal') => {
    try {
      const setup = await api<{ url?: string }>('POST', `/v1/orgs/${enc(org.orgId)}/payment-methods/setup`, {
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: { kind, returnUrl: `${location.origin}/payment-methods?org=${enc(org.orgId)}` },
      });
      if (setup.url) location.assign(setup.url);
      else setMessage({ kind: 'info', text: t('pm.added') });
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(t, err) });
    }
  };
  if (list.error) return html`<${Failed} error=${list.error} />`;
  return html`<${Page} title=${t('pm.title')}>
    ${message ? html`<${Notice} kind=${message.kind}>${message.text}<//>` : null}
    ${
      !list.data
        ? html`<${Loading} />`
        : list.data.paymentMethods.length === 0
          ? html`<p>${t('pm.none')}</p>`
          : html`<ul class="methods-list">
              ${list.data.paymentMethods.map(
                (m) =>
                  html`<li key=${m.id}>
                    <span class="method-label">${m.label}</span>
                    ${m.renews.length > 0 ? html`<span class="hint">${t('pm.renews', { products: m.renews.join(', ') })}</span>` : null}
                    <button type="button" class="secondary" onClick=${() => remove(m)}>${t('pm.remove', { label: m.label })}</button>
                  </li>`,
              )}
            </ul>`
    }
    <section aria-labelledby="add-title">
      <h2 id="add-title">${t('pm.add')}</h2>
      <div class="toolbar">
        ${(['card', 'twint', 'paypal'] as const)
          .filter((k) => k !== 'twint' || org.currency === 'CHF')
          .map((k) => html`<button key=${k} type="button" onClick=${() => add(k)}>${t('pm.addKind', { kind: t(`method.${k}` as TextKey) })}</button>`)}
      </div>
    </section>
  <//>`;
}

/** Orders waiting for their money (or held), and new products waiting for their first payment. */
export function OrdersPage({ org }: { org: Membership }) {
  const { t } = useApp();
  const orders = useLoad(() => api<{ checkouts: Checkout[]; products: { id: string; name: string }[] }>('GET', `/v1/orgs/${enc(org.orgId)}/orders`), [org.orgId]);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const cancel = async (c: Checkout) => {
    try {
      await api('POST', `/v1/orgs/${enc(org.orgId)}/checkouts/${enc(c.checkoutId)}/cancel`);
      setMessage({ kind: 'ok', text: t('ord.canceled') });
      orders.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(t, err) });
    }
  };
  if (orders.error) return html`<${Failed} error=${orders.error} />`;
  const d = orders.data;
  return html`<${Page} title=${t('ord.title')}>
    ${message ? html`<${Notice} kind=${message.kind}>${message.text}<//>` : null}
    ${
      !d
        ? html`<${Loading} />`
        : d.checkouts.length === 0 && d.products.length === 0
          ? html`<p>${t('ord.none')}</p>`
          : html`<ul class="orders">
                ${d.checkouts.map(
                  (c) =>
                    html`<li key=${c.checkoutId} class="card">
                      <p><strong>${c.checkoutId}</strong> · ${t(`ord.${c.status === 'held' ? 'held' : 'awaiting_payment'}` as TextKey)} · ${money(c.total, c.currency)}</p>
                      <p>${c.items.map((i) => i.productName).join(', ')}</p>
                      ${c.status === 'awaiting_payment' && (c.proformaNumber || c.lastFailure) ? html`<${Result} org=${org} checkout=${c} />` : null}
                      <div class="toolbar">
                        ${c.status === 'awaiting_payment' && c.payment?.url ? html`<a class="button" href=${c.payment.url}>${t('ord.resume')}</a>` : null}
                        ${c.status === 'awaiting_payment' ? html`<button type="button" class="secondary" onClick=${() => cancel(c)}>${t('ord.cancel', { id: c.checkoutId })}</button>` : null}
                      </div>
                    </li>`,
                )}
              </ul>
              ${
                d.products.length > 0
                  ? html`<h2>${t('ord.unpaid')}</h2>
                      <ul>
                        ${d.products.map((p) => html`<li key=${p.id}><a href=${`/pay?org=${enc(org.orgId)}&product=${enc(p.id)}`}>${p.name}</a></li>`)}
                      </ul>`
                  : null
              }`
    }
  <//>`;
}

/** The page the termination e-mail links to: one button confirms it (no sign-in: the link's token is the proof). */
export function TerminationConfirmPage({ query }: { query: URLSearchParams }) {
  const { t } = useApp();
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; date?: string }>({});
  const org = query.get('org') ?? '';
  const product = query.get('product') ?? '';
  const confirm = async () => {
    setState({ busy: true });
    try {
      const res = await api<{ date: string }>('POST', `/v1/orgs/${enc(org)}/products/${enc(product)}/termination/confirm`, {
        anonymous: true,
        body: { requestId: query.get('request') ?? '', token: query.get('token') ?? '' },
      });
      setState({ date: res.date });
    } catch (error) {
      setState({ error });
    }
  };
  return html`<${Page} title=${t('tc.title')}>
    ${
      state.date
        ? html`<${Notice} kind="ok">${t('tc.done', { date: formatDate(state.date) })}<//>`
        : html`<p>${t('tc.text', { product })}</p>
            ${state.error ? html`<${Notice} kind="error">${errorText(t, state.error)}<//>` : null}
            <button type="button" class="primary" onClick=${confirm} disabled=${state.busy}>${t('tc.button')}</button>`
    }
  <//>`;
}
