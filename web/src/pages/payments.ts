import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDate, formatReference } from '../format.ts';
import { html } from '../html.ts';
import { periodText, type TextKey } from '../i18n.ts';
import type { Balance, Checkout, Membership, Quote, SelectableProduct } from '../types.ts';
import { DownloadButton, errorText, Failed, Loading, money, MoreButton, Notice, Page, useApp, useLoad, useProductPages } from '../ui.ts';

type Window = '2m' | 'all';
const METHODS = ['card', 'twint', 'paypal', 'postfinance', 'iban'] as const;
type Method = (typeof METHODS)[number];

/**
 * The payments page, as the provider's Manager has it: the products due in
 * the next 2 months (or all), a selection with a period per product, the
 * total with VAT and what the balance covers, priced by the API's quote as
 * the selection changes, then "Pay my selection". Card, TWINT and PayPal go
 * to the provider's hosted page and come back here (`checkout`, `outcome`).
 */
export function PaymentsPage({ org, query }: { org: Membership; query: URLSearchParams }) {
  const { t } = useApp();
  const wanted = query.get('product');
  const [window, setWindow] = useState<Window>(wanted ? 'all' : '2m');
  const products = useProductPages(org.orgId, window);
  const back = query.get('checkout');
  return html`<${Page} title=${t('pay.title')}>
    ${back ? html`<${Outcome} org=${org} checkoutId=${back} outcome=${query.get('outcome') ?? ''} />` : null}
    ${query.get('invoice') ? html`<${OpenInvoice} org=${org} number=${query.get('invoice')!} />` : null}
    <fieldset class="window">
      <legend>${t('pay.window')}</legend>
      ${(['2m', 'all'] as const).map(
        (w) =>
          html`<label key=${w}>
            <input type="radio" name="window" value=${w} checked=${window === w} onChange=${() => setWindow(w)} />
            ${t(w === '2m' ? 'pay.due2m' : 'pay.dueAll')}
          </label>`,
      )}
    </fieldset>
    ${
      products.error
        ? html`<${Failed} error=${products.error} />`
        : !products.data
          ? html`<${Loading} />`
          : html`<${Selection} org=${org} products=${products.data} preselect=${wanted} /> ${products.hasMore ? html`<${MoreButton} onClick=${products.more} />` : null}`
    }
  <//>`;
}

function Selection({ org, products, preselect }: { org: Membership; products: SelectableProduct[]; preselect: string | null }) {
  const { t, lang } = useApp();
  const payable = products.filter((p) => p.status !== 'terminated');
  const [chosen, setChosen] = useState<Record<string, number>>(() => {
    const p = payable.find((x) => x.id === preselect);
    return p ? { [p.id]: p.periodMonths } : {};
  });
  const [useBalance, setUseBalance] = useState(true);
  const [method, setMethod] = useState<Method>('card');
  const balance = useLoad(() => (org.billingRights ? api<Balance>('GET', `/v1/orgs/${enc(org.orgId)}/balance`) : Promise.resolve(undefined)), [org.orgId]);
  const items = useMemo(() => Object.entries(chosen).map(([productId, periodMonths]) => ({ productId, periodMonths })), [chosen]);
  const [quote, setQuote] = useState<{ data?: Quote; error?: unknown }>({});
  useEffect(() => {
    if (!org.billingRights || items.length === 0) {
      setQuote({});
      return;
    }
    let live = true;
    api<Quote>('POST', `/v1/orgs/${enc(org.orgId)}/checkout/quote`, { body: { items, useBalance } }).then(
      (data) => live && setQuote({ data }),
      (error: unknown) => live && setQuote({ error }),
    );
    return () => {
      live = false;
    };
  }, [org.orgId, items, useBalance, org.billingRights]);

  const all = payable.length > 0 && payable.every((p) => p.id in chosen);
  const toggleAll = () => setChosen(all ? {} : Object.fromEntries(payable.map((p) => [p.id, chosen[p.id] ?? p.periodMonths])));
  const toggle = (p: SelectableProduct) =>
    setChosen((c) => {
      const next = { ...c };
      if (p.id in next) delete next[p.id];
      else next[p.id] = p.periodMonths;
      return next;
    });
  const setPeriod = (p: SelectableProduct, months: number) => setChosen((c) => ({ ...c, [p.id]: months }));
  // What the quote says the provider takes in this currency (the API refuses the others anyway).
  const methods = METHODS.filter((m) => (quote.data?.methods ?? org.methods).includes(m));

  if (products.length === 0) return html`<p>${t('pay.none')}</p>`;
  return html`
    ${org.billingRights ? null : html`<${Notice} kind="info">${t('pay.noRights')}<//>`}
    <table class="products">
      <thead>
        <tr>
          ${
            org.billingRights
              ? html`<th scope="col">
                  <label class="select-all"><input type="checkbox" checked=${all} onChange=${toggleAll} /> ${t('pay.selectAll')}</label>
                </th>`
              : null
          }
          <th scope="col">${t('col.product')}</th>
          <th scope="col">${t('col.expiry')}</th>
          <th scope="col">${t('col.status')}</th>
          <th scope="col">${t('col.autoRenew')}</th>
          <th scope="col">${t('col.period')}</th>
          <th scope="col" class="num">${t('col.price')}</th>
        </tr>
      </thead>
      <tbody>
        ${products.map((p) => {
          const months = chosen[p.id] ?? p.periodMonths;
          const price = p.periods.find((x) => x.months === months)?.price ?? p.price;
          return html`<tr key=${p.id} class=${p.id in chosen ? 'chosen' : ''}>
            ${
              org.billingRights
                ? html`<td>
                    <input
                      type="checkbox"
                      id=${`pick-${p.id}`}
                      aria-label=${t('pay.select', { name: p.name })}
                      checked=${p.id in chosen}
                      disabled=${p.status === 'terminated'}
                      onChange=${() => toggle(p)}
                    />
                  </td>`
                : null
            }
            <th scope="row"><span class="product-name">${p.name}</span><span class="product-type">${p.typeName}</span></th>
            <td>${formatDate(p.expiry)}</td>
            <td>${t(`status.${p.status}` as TextKey)}</td>
            <td>${t(p.autoRenew ? 'on' : 'off')}</td>
            <td>
              ${
                org.billingRights && p.periods.length > 1
                  ? html`<select
                      aria-label=${t('pay.periodOf', { name: p.name })}
                      value=${String(months)}
                      onChange=${(e: Event) => setPeriod(p, Number((e.target as HTMLSelectElement).value))}
                    >
                      ${p.periods.map((x) => html`<option key=${x.months} value=${String(x.months)}>${periodText(lang, x.months)}</option>`)}
                    </select>`
                  : periodText(lang, months)
              }
            </td>
            <td class="num">${money(price, p.currency)}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${
      org.billingRights
        ? html`<${Summary}
            org=${org}
            quote=${quote}
            balance=${balance.data}
            useBalance=${useBalance}
            setUseBalance=${setUseBalance}
            method=${method}
            setMethod=${setMethod}
            methods=${methods}
            items=${items}
          />`
        : null
    }
  `;
}

function Summary(props: {
  org: Membership;
  quote: { data?: Quote; error?: unknown };
  balance?: Balance;
  useBalance: boolean;
  setUseBalance: (v: boolean) => void;
  method: Method;
  setMethod: (m: Method) => void;
  methods: readonly Method[];
  items: { productId: string; periodMonths: number }[];
}) {
  const { t } = useApp();
  const { org, quote, items } = props;
  const [paying, setPaying] = useState<{ busy?: boolean; error?: unknown; done?: Checkout }>({});
  // One key per selection paid: a double click or a retry after a lost answer finds the same checkout.
  const key = useRef<{ for: string; id: string } | undefined>(undefined);
  const fingerprint = JSON.stringify([items, props.useBalance, props.method]);
  const q = quote.data;
  const due = q ? q.amountDue : '0';
  const pay = async () => {
    if (!key.current || key.current.for !== fingerprint) key.current = { for: fingerprint, id: crypto.randomUUID() };
    setPaying({ busy: true });
    try {
      const method = q && /^0(\.0+)?$/.test(q.amountDue) ? 'balance' : props.method;
      const checkout = await api<Checkout>('POST', `/v1/orgs/${enc(org.orgId)}/checkout`, {
        headers: { 'idempotency-key': key.current.id },
        body: { items, method, useBalance: props.useBalance, ...(method === 'iban' || method === 'balance' ? {} : { returnUrl: `${location.origin}/pay?org=${enc(org.orgId)}` }) },
      });
      if (checkout.payment?.url) {
        location.assign(checkout.payment.url);
        return;
      }
      setPaying({ done: checkout });
    } catch (error) {
      setPaying({ error });
    }
  };
  if (paying.done) return html`<${Result} org=${org} checkout=${paying.done} />`;
  return html`<section class="summary" aria-labelledby="summary-title">
    <h2 id="summary-title">${t('pay.summary')}</h2>
    ${
      items.length === 0
        ? html`<p>${t('pay.nothing')}</p>`
        : quote.error
          ? html`<${Notice} kind="error">${errorText(t, quote.error)}<//>`
          : !q
            ? html`<${Loading} />`
            : html`<dl class="totals">
                  <div>
                    <dt>${t('sum.net')}</dt>
                    <dd>${money(q.totalNet, q.currency)}</dd>
                  </div>
                  <div>
                    <dt>${t('sum.vat', { rate: q.vatRate })}</dt>
                    <dd>${money(q.totalVat, q.currency)}</dd>
                  </div>
                  <div class="total">
                    <dt>${t('sum.total')}</dt>
                    <dd>${money(q.total, q.currency)}</dd>
                  </div>
                  ${
                    props.useBalance
                      ? html`<div>
                          <dt>${t('sum.balanceUsed')}</dt>
                          <dd>${money(q.balanceUsed, q.currency)}</dd>
                        </div>`
                      : null
                  }
                  <div class="due">
                    <dt>${t('sum.due')}</dt>
                    <dd>${money(q.amountDue, q.currency)}</dd>
                  </div>
                </dl>
                ${q.vatMention ? html`<p class="mention">${q.vatMention}</p>` : null}`
    }
    <label class="use-balance">
      <input type="checkbox" checked=${props.useBalance} onChange=${(e: Event) => props.setUseBalance((e.target as HTMLInputElement).checked)} />
      ${t('sum.useBalance', { amount: money(props.balance?.balance ?? '0', org.currency) })}
    </label>
    ${
      /^0(\.0+)?$/.test(due) && q
        ? null
        : html`<fieldset class="methods">
            <legend>${t('method.legend')}</legend>
            ${props.methods.map(
              (m) =>
                html`<label key=${m}>
                  <input type="radio" name="method" value=${m} checked=${props.method === m} onChange=${() => props.setMethod(m)} />
                  ${t(`method.${m}` as TextKey)}
                </label>`,
            )}
          </fieldset>`
    }
    ${paying.error ? html`<${Notice} kind="error">${errorText(t, paying.error)}<//>` : null}
    <button type="button" class="primary" onClick=${pay} disabled=${items.length === 0 || !q || paying.busy}>${paying.busy ? t('pay.working') : t('pay.button')}</button>
  </section>`;
}

/** What a checkout came to: paid, held, a pro-forma to transfer against, or a failure to try again. */
export function Result({ org, checkout }: { org: Membership; checkout: Checkout }) {
  const { t } = useApp();
  const c = checkout;
  if (c.status === 'paid') {
    return html`<${Notice} kind="ok">
      <p>${t('pay.paid', { amount: money(c.total, c.currency) })}</p>
      ${c.invoiceNumber ? html`<${DownloadButton} path=${`/v1/orgs/${enc(org.orgId)}/invoices/${c.invoiceNumber}.pdf`} name=${`${c.invoiceNumber}.pdf`} label=${t('pay.downloadInvoice', { number: c.invoiceNumber })} />` : null}
    <//>`;
  }
  if (c.status === 'held') return html`<${Notice} kind="info">${t('pay.held')}<//>`;
  if (c.status === 'awaiting_payment' && c.proformaNumber) {
    return html`<${Notice} kind="info">
      <p>${t('pay.proforma', { number: c.proformaNumber, amount: money(c.amountDue, c.currency), reference: formatReference(c.paymentReference ?? '') })}</p>
      <${DownloadButton} path=${`/v1/orgs/${enc(org.orgId)}/invoices/${c.proformaNumber}.pdf`} name=${`${c.proformaNumber}.pdf`} label=${t('pay.downloadProforma')} />
    <//>`;
  }
  if (c.status === 'awaiting_payment' && c.lastFailure) {
    return html`<${Notice} kind="error">
      <p>${t('pay.declined', { reason: c.lastFailure.message })}</p>
      ${c.payment?.url ? html`<a class="button" href=${c.payment.url}>${t('pay.retry')}</a>` : null}
    <//>`;
  }
  if (c.status === 'canceled') return html`<${Notice} kind="info">${t('pay.canceled')}<//>`;
  return html`<${Notice} kind="info">${t('pay.waiting')}<//>`;
}

/** Back from the hosted page: the checkout read until its payment is settled (the webhook may take a moment). */
function Outcome({ org, checkoutId, outcome }: { org: Membership; checkoutId: string; outcome: string }) {
  const [checkout, setCheckout] = useState<{ data?: Checkout; error?: unknown }>({});
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const path = `/v1/orgs/${enc(org.orgId)}/checkouts/${enc(checkoutId)}`;
    const read = async (attempt: number) => {
      try {
        // Cancelled on the provider's page: the order is given up, its products free again.
        const c = outcome === 'cancel' && attempt === 0 ? await cancelOrRead(path) : await api<Checkout>('GET', path);
        if (!live) return;
        setCheckout({ data: c });
        if (c.status === 'awaiting_payment' && !c.lastFailure && !c.proformaNumber && attempt < 20) timer = setTimeout(() => void read(attempt + 1), 1000);
      } catch (error) {
        if (live) setCheckout({ error });
      }
    };
    void read(0);
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [org.orgId, checkoutId, outcome]);
  if (checkout.error) return html`<${Failed} error=${checkout.error} />`;
  if (!checkout.data) return html`<${Loading} />`;
  return html`<${Result} org=${org} checkout=${checkout.data} />`;
}

async function cancelOrRead(path: string): Promise<Checkout> {
  try {
    return await api<Checkout>('POST', `${path}/cancel`);
  } catch {
    // Paid after all, or already ended: what it is now.
    return api<Checkout>('GET', path);
  }
}

/** An invoice the e-mail asks to pay (a bank reversal reopened it): its PDF carries the QR-bill. */
function OpenInvoice({ org, number }: { org: Membership; number: string }) {
  const { t } = useApp();
  return html`<${Notice} kind="info">
    <p>${t('pay.openInvoice', { number })}</p>
    <${DownloadButton} path=${`/v1/orgs/${enc(org.orgId)}/invoices/${number}.pdf`} name=${`${number}.pdf`} label=${t('pay.downloadInvoice', { number })} />
  <//>`;
}

export const enc = encodeURIComponent;
