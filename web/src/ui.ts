import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, download } from './api.ts';
import { signIn } from './auth.ts';
import { formatAmount } from './format.ts';
import { html } from './html.ts';
import { translate, type Lang, type TextKey } from './i18n.ts';
import type { Me, SelectableProduct } from './types.ts';

export interface AppState {
  lang: Lang;
  me: Me;
  t: (key: TextKey, vars?: Record<string, string | number>) => string;
}

export const App = createContext<AppState>({ lang: 'fr', me: { userId: '', finance: false, organisations: [] }, t: (key) => translate('fr', key) });
export const useApp = () => useContext(App);

/** Loads once per change of `deps`; `reload` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: unknown; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (data) => live && setState({ data }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((n) => n + 1), []) };
}

export function Loading() {
  const { t } = useApp();
  return html`<p class="loading" role="status">${t('loading')}</p>`;
}

/** A message the screen reader announces: `status` for news, `alert` for what went wrong. */
export function Notice({ kind, children }: { kind: 'ok' | 'info' | 'error'; children: ComponentChildren }) {
  return html`<div class=${`notice notice-${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>${children}</div>`;
}

/** What the customer is told of a failed call: their own words for the codes we know, the API's message otherwise. */
export function errorText(t: AppState['t'], err: unknown, vars: Record<string, string> = {}): string {
  if (!(err instanceof ApiError)) return String((err as Error)?.message ?? err);
  if (err.status === 429) return t('error.rateLimited', { seconds: err.retryAfter ?? 60 });
  const known: Partial<Record<string, TextKey>> = {
    top_up_out_of_range: 'topup.range',
    amount_too_small: 'topup.minCard',
  };
  const key = known[err.code];
  return key ? t(key, vars) : err.message;
}

/** The page for a call refused as not this user's (403), or not found for them (404): it reveals nothing. */
export function Forbidden() {
  const { t } = useApp();
  return html`<section class="page" aria-labelledby="page-title">
    <h1 id="page-title">${t('forbidden.title')}</h1>
    <p>${t('forbidden.text')}</p>
  </section>`;
}

/** What a page shows when its load failed: the 403 page, a sign-in, or the error. */
export function Failed({ error }: { error: unknown }) {
  const { t } = useApp();
  if (error instanceof ApiError && error.status === 401) {
    void signIn();
    return html`<${Loading} />`;
  }
  if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return html`<${Forbidden} />`;
  return html`<section class="page" aria-labelledby="page-title">
    <h1 id="page-title">${t('error.title')}</h1>
    <${Notice} kind="error">${errorText(t, error)}<//>
  </section>`;
}

export const money = (amount: string, currency: string) => formatAmount(amount, currency);

/** A PDF of the API, fetched with the bearer token and saved by the browser. */
export function DownloadButton({ path, name, label }: { path: string; name: string; label: string }) {
  const { t } = useApp();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await download(path, name);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="download">
    <button type="button" class="link-button" onClick=${go} disabled=${busy}>${label}</button>
    ${error ? html`<${Notice} kind="error">${errorText(t, error)}<//>` : null}
  </span>`;
}

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = title;
  }, [title]);
  return html`<section class="page" aria-labelledby="page-title">
    <h1 id="page-title">${title}</h1>
    ${children}
  </section>`;
}

/**
 * An organisation's products a page at a time (the API reads one page a
 * request): the first page on load, the next on `more()`.
 */
export function useProductPages(orgId: string, due: '2m' | 'all'): { data?: SelectableProduct[]; error?: unknown; hasMore: boolean; more: () => void; reload: () => void } {
  const [state, setState] = useState<{ data?: SelectableProduct[]; error?: unknown; cursor?: string }>({});
  const [tick, setTick] = useState(0);
  const path = `/v1/orgs/${encodeURIComponent(orgId)}/products?due=${due}&limit=${PAGE}`;
  useEffect(() => {
    let live = true;
    setState({});
    api<{ products: SelectableProduct[]; nextCursor?: string }>('GET', path).then(
      (page) => live && setState({ data: page.products, ...(page.nextCursor ? { cursor: page.nextCursor } : {}) }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const more = useCallback(() => {
    if (!state.cursor) return;
    api<{ products: SelectableProduct[]; nextCursor?: string }>('GET', `${path}&cursor=${encodeURIComponent(state.cursor)}`).then(
      (page) => setState((s) => ({ data: [...(s.data ?? []), ...page.products], ...(page.nextCursor ? { cursor: page.nextCursor } : {}) })),
      (error: unknown) => setState((s) => ({ ...s, error })),
    );
  }, [path, state.cursor]);
  return {
    ...(state.data ? { data: state.data } : {}),
    ...(state.error ? { error: state.error } : {}),
    hasMore: !!state.cursor,
    more,
    reload: useCallback(() => setTick((n) => n + 1), []),
  };
}

/** Products a page of the portal asks for at once. */
const PAGE = 100;

export function MoreButton({ onClick }: { onClick: () => void }) {
  const { t } = useApp();
  return html`<button type="button" class="secondary" onClick=${onClick}>${t('pay.more')}</button>`;
}
