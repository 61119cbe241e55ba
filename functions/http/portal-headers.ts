/**
 * The security headers of the portal's pages, the same locally (`billing
 * serve`) and in AWS (CloudFront's response headers policy): the pages run
 * only their own script, talk only to the API (and the sign-in server), and
 * cannot be framed.
 */
export interface PortalHeaderOptions {
  /** Origins the pages call besides their own: the API, the OAuth 2 token endpoint. */
  connect: readonly string[];
}

export function contentSecurityPolicy(opts: PortalHeaderOptions): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${["'self'", ...opts.connect].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The headers every page and asset is served with (HSTS is added where the pages are served over https). */
export function portalHeaders(opts: PortalHeaderOptions): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(opts),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}
