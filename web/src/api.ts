/**
 * The one way the pages reach the engine: its public HTTP API, with the
 * signed-in user's bearer token. Errors come back in the API's one shape
 * (`{ error: { code, message, status } }`) and are thrown as ApiError.
 */
export interface PortalConfig {
  /** The API's base URL; empty when the pages are served by the API's own origin (`billing serve`). */
  apiUrl: string;
  /** Locally a demo sign-in page; in AWS the provider's OAuth 2 server (authorization code with PKCE). */
  login: { kind: 'demo' } | { kind: 'oauth'; authorizeUrl: string; tokenUrl: string; clientId: string; scope: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds to wait before trying again (429). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'billing.token';
let config: PortalConfig = { apiUrl: '', login: { kind: 'demo' } };

export async function loadConfig(): Promise<PortalConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (res.ok) {
    const loaded = (await res.json()) as PortalConfig;
    // API Gateway's stage URL ends with a slash; the paths start with one.
    config = { ...loaded, apiUrl: loaded.apiUrl.replace(/\/+$/, '') };
  }
  return config;
}

export const currentConfig = () => config;
export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (t: string) => sessionStorage.setItem(TOKEN_KEY, t);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);

export interface CallOptions {
  body?: unknown;
  /** Sent as is with this content type (a bank file), instead of JSON. */
  raw?: { text: string; type: string };
  headers?: Record<string, string>;
  /** Routes that need no sign-in (the termination link). */
  anonymous?: boolean;
}

export async function api<T = Record<string, unknown>>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const bearer = token();
  if (bearer && !opts.anonymous) headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (opts.raw) {
    headers['content-type'] = opts.raw.type;
    body = opts.raw.text;
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(config.apiUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const json = text && (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) {
    const err = (json.error ?? {}) as { code?: string; message?: string };
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(res.status, err.code ?? 'error', err.message ?? res.statusText, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return json as T;
}

/** A document the API serves (a PDF), saved by the browser under its own name. */
export async function download(path: string, name: string): Promise<void> {
  const res = await fetch(config.apiUrl + path, { headers: { authorization: `Bearer ${token() ?? ''}` } });
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw new ApiError(res.status, json.error?.code ?? 'error', json.error?.message ?? res.statusText);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
