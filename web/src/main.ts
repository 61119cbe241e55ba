import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, currentConfig, loadConfig, setToken, token } from './api.ts';
import { completeSignIn, signIn, signOut, takeReturnPath } from './auth.ts';
import { html } from './html.ts';
import { LANG_NAMES, LANGS, translate, type Lang, type TextKey } from './i18n.ts';
import { navigate, onLink, useLocation } from './router.ts';
import type { Me, Membership } from './types.ts';
import { BalancePage, InvoicesPage, MethodsPage, OrdersPage, TerminationConfirmPage } from './pages/account.ts';
import { BankPage, ExportsPage, HeldOrdersPage } from './pages/finance.ts';
import { enc, PaymentsPage } from './pages/payments.ts';
import { ProductsPage } from './pages/products.ts';
import { App, errorText, Failed, Forbidden, Loading, Notice, Page, useApp, type AppState } from './ui.ts';

/**
 * The customer portal and the finance console: one small client of the
 * public HTTP API (docs/openapi.json), so a provider can restyle or replace
 * any page. The organisation is in the URL (`?org=`), as in the e-mails'
 * links; what a user may do there comes from GET /v1/me and is enforced by
 * the API whatever the page shows.
 */
const LANG_KEY = 'billing.lang';

const ORG_PAGES: Record<string, { nav: TextKey; page: (p: { org: Membership; query: URLSearchParams }) => unknown; billing: boolean }> = {
  '/pay': { nav: 'nav.payments', page: PaymentsPage, billing: false },
  '/products': { nav: 'nav.products', page: ProductsPage, billing: false },
  '/invoices': { nav: 'nav.invoices', page: InvoicesPage, billing: true },
  '/balance': { nav: 'nav.balance', page: BalancePage, billing: true },
  '/payment-methods': { nav: 'nav.methods', page: MethodsPage, billing: true },
  '/orders': { nav: 'nav.orders', page: OrdersPage, billing: true },
};
const FINANCE_PAGES: Record<string, { nav: TextKey; page: () => unknown }> = {
  '/finance/exports': { nav: 'nav.exports', page: ExportsPage },
  '/finance/bank': { nav: 'nav.bank', page: BankPage },
  '/finance/held-orders': { nav: 'nav.held', page: HeldOrdersPage },
};

function Root() {
  const { path, query } = useLocation();
  const [me, setMe] = useState<{ data?: Me; error?: unknown }>({});
  const [chosenLang, setChosenLang] = useState<Lang | undefined>(() =>
    (LANGS as string[]).includes(localStorage.getItem(LANG_KEY) ?? '') ? (localStorage.getItem(LANG_KEY) as Lang) : undefined,
  );
  const open = path === '/login' || path === '/callback' || path === '/terminations/confirm';

  useEffect(() => {
    if (open) return;
    if (!token()) {
      void signIn();
      return;
    }
    api<Me>('GET', '/v1/me').then(
      (data) => setMe({ data }),
      (error: unknown) => setMe({ error }),
    );
  }, [open]);

  const orgId = query.get('org');
  const org = me.data?.organisations.find((o) => o.orgId === orgId);
  const lang: Lang = chosenLang ?? org?.language ?? me.data?.organisations[0]?.language ?? browserLang();
  const state: AppState = useMemo(
    () => ({ lang, me: me.data ?? { userId: '', finance: false, organisations: [] }, t: (key, vars) => translate(lang, key, vars) }),
    [lang, me.data],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = (l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    setChosenLang(l);
  };

  let content: unknown;
  if (path === '/login') content = html`<${LoginPage} />`;
  else if (path === '/callback') content = html`<${Callback} query=${query} />`;
  else if (path === '/terminations/confirm') content = html`<${TerminationConfirmPage} query=${query} />`;
  else if (me.error) content = html`<${Failed} error=${me.error} />`;
  else if (!me.data) content = html`<${Loading} />`;
  else if (FINANCE_PAGES[path]) content = me.data.finance ? html`<${FINANCE_PAGES[path]!.page} />` : html`<${Forbidden} />`;
  else if (ORG_PAGES[path]) {
    const def = ORG_PAGES[path]!;
    if (!orgId && me.data.organisations[0]) {
      navigate(`${path}?org=${enc(me.data.organisations[0].orgId)}`, true);
      content = html`<${Loading} />`;
    } else if (!org || (def.billing && !org.billingRights)) content = html`<${Forbidden} />`;
    else content = html`<${def.page} key=${org.orgId} org=${org} query=${query} />`;
  } else if (path === '/') content = html`<${Home} />`;
  else content = html`<${Page} title=${translate(lang, 'notFound.title')}><p>${translate(lang, 'forbidden.text')}</p><//>`;

  return html`<${App.Provider} value=${state}>
    <a class="skip" href="#main">${state.t('skip')}</a>
    <header class="top">
      <a class="brand" href=${org ? `/pay?org=${enc(org.orgId)}` : '/'} onClick=${onLink}>${state.t(path.startsWith('/finance') ? 'finance.title' : 'app.title')}</a>
      <div class="tools">
        ${me.data && me.data.organisations.length > 1 && org ? html`<${OrgSwitch} org=${org} path=${path} />` : null}
        <label class="lang">
          <span>${state.t('lang.label')}</span>
          <select value=${lang} onChange=${(e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)}>
            ${LANGS.map((l) => html`<option key=${l} value=${l} lang=${l}>${LANG_NAMES[l]}</option>`)}
          </select>
        </label>
        ${me.data ? html`<button type="button" class="link-button" onClick=${signOut}>${state.t('nav.signOut')}</button>` : null}
      </div>
    </header>
    ${me.data && !open ? html`<${Nav} org=${org} path=${path} />` : null}
    <main id="main" tabindex="-1">${content}</main>
  <//>`;
}

function Nav({ org, path }: { org?: Membership; path: string }) {
  const { t, me } = useApp();
  const orgLinks = org ? Object.entries(ORG_PAGES).filter(([, d]) => !d.billing || org.billingRights) : [];
  const financeLinks = me.finance ? Object.entries(FINANCE_PAGES) : [];
  if (orgLinks.length === 0 && financeLinks.length === 0) return null;
  return html`<nav aria-label=${t('nav.main')} class="nav">
    <ul>
      ${orgLinks.map(
        ([p, d]) => html`<li key=${p}><a href=${`${p}?org=${enc(org!.orgId)}`} onClick=${onLink} aria-current=${path === p ? 'page' : undefined}>${t(d.nav)}</a></li>`,
      )}
      ${financeLinks.map(([p, d]) => html`<li key=${p}><a href=${p} onClick=${onLink} aria-current=${path === p ? 'page' : undefined}>${t(d.nav)}</a></li>`)}
    </ul>
  </nav>`;
}

function OrgSwitch({ org, path }: { org: Membership; path: string }) {
  const { t, me } = useApp();
  return html`<label class="org">
    <span>${t('org.label')}</span>
    <select value=${org.orgId} onChange=${(e: Event) => navigate(`${path}?org=${enc((e.target as HTMLSelectElement).value)}`)}>
      ${me.organisations.map((o) => html`<option key=${o.orgId} value=${o.orgId}>${o.name}</option>`)}
    </select>
  </label>`;
}

function Home() {
  const { t, me } = useApp();
  useEffect(() => {
    if (me.organisations.length === 1) navigate(`/pay?org=${enc(me.organisations[0]!.orgId)}`, true);
    else if (me.organisations.length === 0 && me.finance) navigate('/finance/exports', true);
  }, [me]);
  if (me.organisations.length === 0 && !me.finance) return html`<${Page} title=${t('app.title')}><p>${t('noOrg.text')}</p><//>`;
  return html`<${Page} title=${t('home.choose')}>
    <ul class="org-list">
      ${me.organisations.map((o) => html`<li key=${o.orgId}><a href=${`/pay?org=${enc(o.orgId)}`} onClick=${onLink}>${o.name}</a></li>`)}
    </ul>
  <//>`;
}

interface DemoUser {
  userId: string;
  name: string;
  email: string;
  finance: boolean;
  organisations: { orgId: string; name: string; role: string }[];
}

/** Locally: the demo's users to sign in as. With an OAuth server: straight to it. */
function LoginPage() {
  const { t } = useApp();
  const [users, setUsers] = useState<{ data?: DemoUser[]; error?: unknown }>({});
  const demo = currentConfig().login.kind === 'demo';
  useEffect(() => {
    if (!demo) {
      void signIn();
      return;
    }
    (async () => {
      const res = await fetch('/local/demo-users');
      if (!res.ok) throw new ApiError(res.status, 'no_demo', res.statusText);
      setUsers({ data: ((await res.json()) as { users: DemoUser[] }).users });
    })().catch((error: unknown) => setUsers({ error }));
  }, [demo]);
  const as = async (u: DemoUser) => {
    const res = await fetch('/local/demo-login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: u.userId, finance: u.finance }),
    });
    const { token: signed } = (await res.json()) as { token: string };
    setToken(signed);
    location.assign(u.finance && u.organisations.length === 0 ? '/finance/exports' : takeReturnPath());
  };
  if (!demo || users.error) return html`<${Page} title=${t('login.title')}><p>${users.error ? errorText(t, users.error) : t('login.redirect')}</p><//>`;
  if (!users.data) return html`<${Loading} />`;
  return html`<${Page} title=${t('login.title')}>
    <p>${t('login.demo')}</p>
    <ul class="demo-users">
      ${users.data.map(
        (u) =>
          html`<li key=${u.userId}>
            <button type="button" onClick=${() => as(u)}>${t('login.as', { name: u.finance ? t('login.finance') : `${u.name} (${u.userId})` })}</button>
            <span class="hint">${u.organisations.map((o) => `${o.name}: ${o.role}`).join(' · ')}</span>
          </li>`,
      )}
    </ul>
  <//>`;
}

function Callback({ query }: { query: URLSearchParams }) {
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    completeSignIn(query).then((back) => location.assign(back), setError);
  }, []);
  return error ? html`<${Notice} kind="error">${String((error as Error).message)}<//>` : html`<${Loading} />`;
}

function browserLang(): Lang {
  const l = (navigator.language || 'fr').slice(0, 2) as Lang;
  return LANGS.includes(l) ? l : 'fr';
}

void loadConfig().then(() => render(html`<${Root} />`, document.getElementById('app')!));
