import { clearToken, currentConfig, setToken } from './api.ts';

/**
 * Signing in. Locally (`billing serve`) a demo page lists the demo's users;
 * in AWS the provider's OAuth 2 server signs the user in (authorization
 * code with PKCE, no client secret in the browser) and its access token is
 * what API Gateway's JWT authorizer checks.
 */
const VERIFIER_KEY = 'billing.pkce';
const RETURN_KEY = 'billing.return';

export async function signIn(): Promise<void> {
  const login = currentConfig().login;
  sessionStorage.setItem(RETURN_KEY, location.pathname + location.search);
  if (login.kind === 'demo') {
    location.assign('/login');
    return;
  }
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(VERIFIER_KEY, JSON.stringify({ verifier, state }));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const url = new URL(login.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: login.clientId,
    redirect_uri: `${location.origin}/callback`,
    scope: login.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** Back from the OAuth server (`/callback?code&state`): the code exchanged for the access token. */
export async function completeSignIn(params: URLSearchParams): Promise<string> {
  const login = currentConfig().login;
  const saved = JSON.parse(sessionStorage.getItem(VERIFIER_KEY) ?? '{}') as { verifier?: string; state?: string };
  sessionStorage.removeItem(VERIFIER_KEY);
  if (login.kind !== 'oauth' || !saved.verifier || params.get('state') !== saved.state) throw new Error('sign-in state mismatch');
  const res = await fetch(login.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: login.clientId,
      code: params.get('code') ?? '',
      redirect_uri: `${location.origin}/callback`,
      code_verifier: saved.verifier,
    }).toString(),
  });
  if (!res.ok) throw new Error(`the sign-in server answered ${res.status}`);
  const { access_token: accessToken } = (await res.json()) as { access_token?: string };
  if (!accessToken) throw new Error('the sign-in server gave no access token');
  setToken(accessToken);
  return takeReturnPath();
}

/** Where the user was before signing in. */
export function takeReturnPath(): string {
  const back = sessionStorage.getItem(RETURN_KEY) ?? '/';
  sessionStorage.removeItem(RETURN_KEY);
  return back.startsWith('/') && !back.startsWith('//') && !back.startsWith('/login') ? back : '/';
}

export function signOut(): void {
  clearToken();
  location.assign('/login');
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
