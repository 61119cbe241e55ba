import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { formatDate } from '../format.ts';
import { html } from '../html.ts';
import type { TextKey } from '../i18n.ts';
import { onLink } from '../router.ts';
import type { Membership, SavedMethod, SelectableProduct } from '../types.ts';
import { errorText, Failed, Loading, MoreButton, Notice, Page, useApp, useLoad, useProductPages } from '../ui.ts';
import { enc } from './payments.ts';

type Message = { kind: 'ok' | 'info' | 'error'; text: string; renew?: { id: string; name: string } };

/**
 * Every product with its automatic renewal, switched one by one or all at
 * once; switching on under 14 days before expiry is refused with the FAQ's
 * reason and a "renew now" link to the payments page. Legal owners and
 * administrators may also ask for a product's termination (confirmed by the
 * link the engine e-mails).
 */
export function ProductsPage({ org }: { org: Membership }) {
  const { t } = useApp();
  const products = useProductPages(org.orgId, 'all');
  const methods = useLoad(
    () => (org.billingRights ? api<{ paymentMethods: SavedMethod[] }>('GET', `/v1/orgs/${enc(org.orgId)}/payment-methods`) : Promise.resolve({ paymentMethods: [] })),
    [org.orgId],
  );
  const [methodId, setMethodId] = useState('');
  const [messages, setMessages] = useState<Message[]>([]);
  const [busy, setBusy] = useState(false);
  const nameOf = (id: string) => products.data?.find((p) => p.id === id)?.name ?? id;

  const switchTo = async (on: boolean, product?: SelectableProduct) => {
    setBusy(true);
    try {
      const path = product ? `/v1/orgs/${enc(org.orgId)}/products/${enc(product.id)}/auto-renew` : `/v1/orgs/${enc(org.orgId)}/auto-renew`;
      const res = await api<{ changed: string[]; refused: { productId: string; code: string; message: string }[] }>('PUT', path, {
        body: { on, ...(on && methodId ? { paymentMethodId: methodId } : {}) },
      });
      setMessages([
        ...(res.changed.length > 0 ? [{ kind: 'ok' as const, text: t('ar.changed') }] : []),
        ...res.refused.map((r) => refusal(r.productId, nameOf(r.productId), r.code, r.message)),
      ]);
      products.reload();
    } catch (err) {
      setMessages([product && err instanceof ApiError ? refusal(product.id, product.name, err.code, errorText(t, err)) : { kind: 'error', text: errorText(t, err) }]);
    } finally {
      setBusy(false);
    }
  };
  const refusal = (id: string, name: string, code: string, message: string): Message =>
    code === 'auto_renew_too_late' ? { kind: 'error', text: t('ar.tooLate', { name }), renew: { id, name } } : { kind: 'error', text: `${name}: ${message}` };

  const terminate = async (p: SelectableProduct) => {
    setBusy(true);
    try {
      await api('POST', `/v1/orgs/${enc(org.orgId)}/products/${enc(p.id)}/termination`, { body: {} });
      setMessages([{ kind: 'ok', text: t('term.sent', { name: p.name }) }]);
    } catch (err) {
      setMessages([{ kind: 'error', text: `${p.name}: ${errorText(t, err)}` }]);
    } finally {
      setBusy(false);
    }
  };

  if (products.error) return html`<${Failed} error=${products.error} />`;
  const canTerminate = org.role === 'legal-owner' || org.role === 'administrator';
  const usable = (methods.data?.paymentMethods ?? []).filter((m) => m.kind !== 'postfinance');
  return html`<${Page} title=${t('products.title')}>
    <div aria-live="polite">
      ${messages.map(
        (m, i) =>
          html`<${Notice} key=${i} kind=${m.kind}>
            <p>${m.text}</p>
            ${m.renew ? html`<a class="button" href=${`/pay?org=${enc(org.orgId)}&product=${enc(m.renew.id)}`} onClick=${onLink}>${t('ar.renewNow', { name: m.renew.name })}</a>` : null}
          <//>`,
      )}
    </div>
    ${
      org.billingRights
        ? html`<div class="toolbar">
              <label>
                ${t('ar.method')}
                <select value=${methodId} onChange=${(e: Event) => setMethodId((e.target as HTMLSelectElement).value)}>
                  <option value="">${t('method.balance')}</option>
                  ${usable.map((m) => html`<option key=${m.id} value=${m.id}>${m.label}</option>`)}
                </select>
              </label>
              <button type="button" onClick=${() => switchTo(true)} disabled=${busy}>${t('ar.allOn')}</button>
              <button type="button" onClick=${() => switchTo(false)} disabled=${busy}>${t('ar.allOff')}</button>
            </div>
            ${usable.length === 0 ? html`<p class="hint">${t('ar.noMethod')}</p>` : null}`
        : null
    }
    ${
      !products.data
        ? html`<${Loading} />`
        : html`<table class="products">
              <thead>
                <tr>
                  <th scope="col">${t('col.product')}</th>
                  <th scope="col">${t('col.expiry')}</th>
                  <th scope="col">${t('col.status')}</th>
                  <th scope="col">${t('col.autoRenew')}</th>
                  ${org.billingRights || canTerminate ? html`<th scope="col">${t('col.actions')}</th>` : null}
                </tr>
              </thead>
              <tbody>
                ${products.data.map(
                  (p) =>
                    html`<tr key=${p.id}>
                      <th scope="row"><span class="product-name">${p.name}</span><span class="product-type">${p.typeName}</span></th>
                      <td>${formatDate(p.expiry)}</td>
                      <td>${t(`status.${p.status}` as TextKey)}</td>
                      <td>${t(p.autoRenew ? 'on' : 'off')}</td>
                      ${
                        org.billingRights || canTerminate
                          ? html`<td class="actions">
                              ${
                                org.billingRights
                                  ? html`<button
                                      type="button"
                                      onClick=${() => switchTo(!p.autoRenew, p)}
                                      disabled=${busy}
                                      aria-label=${t(p.autoRenew ? 'ar.offFor' : 'ar.onFor', { name: p.name })}
                                    >
                                      ${t(p.autoRenew ? 'ar.off' : 'ar.on')}
                                    </button>`
                                  : null
                              }
                              ${
                                canTerminate && p.status !== 'terminated'
                                  ? html`<button type="button" class="secondary" onClick=${() => terminate(p)} disabled=${busy}>${t('term.request', { name: p.name })}</button>`
                                  : null
                              }
                            </td>`
                          : null
                      }
                    </tr>`,
                )}
              </tbody>
            </table>
            ${products.hasMore ? html`<${MoreButton} onClick=${products.more} />` : null}`
    }
  <//>`;
}
