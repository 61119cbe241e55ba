import { useEffect, useState } from 'preact/hooks';

/**
 * Paths, not fragments: the e-mails link to `/pay?org=…`, `/invoices?org=…`
 * and `/terminations/confirm?…` under the portal's address, so every page
 * has a real path (the server answers index.html for each).
 */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [href, setHref] = useState(location.href);
  useEffect(() => {
    const on = () => setHref(location.href);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  const url = new URL(href);
  return { path: url.pathname.replace(/\/+$/, '') || '/', query: url.searchParams };
}

/** A link that changes page without reloading it. */
export function onLink(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
