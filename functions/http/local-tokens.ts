import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { ValidationError } from '../../shared/domain/errors.ts';

import { LOCAL_AUDIENCE, LOCAL_ISSUER, MAX_TTL_SECONDS } from './local-token-terms.ts';

export { LOCAL_AUDIENCE, LOCAL_ISSUER, MAX_TTL_SECONDS };

export interface LocalTokenRequest {
  userId: string;
  /** Informational: rights come from the organisation's members, never from the token. */
  orgId?: string;
  ttlSeconds: number;
  /** OAuth 2 scopes, space-separated: `billing:finance` for the provider's finance staff. */
  scope?: string;
  /** The OAuth client the token is issued to (`client_id`): the API's rate limit counts per client, else per user. */
  clientId?: string;
}

export type LocalClaims = JWTPayload & { sub: string; org?: string };

const secretFile = (home: string) => join(resolve(home), 'jwt-secret');

/**
 * The HS256 key, made once per data folder and readable by its owner only.
 * `wx` makes creation atomic: of two processes racing, one writes and both
 * end up reading the same key. `billing reset` deletes it, which revokes
 * every token issued before.
 */
function secret(home: string): Uint8Array {
  const file = secretFile(home);
  try {
    mkdirSync(resolve(home), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

export async function signLocalToken(home: string, req: LocalTokenRequest): Promise<string> {
  if (!req.userId.trim()) throw new ValidationError('--user must not be empty');
  if (!Number.isInteger(req.ttlSeconds) || req.ttlSeconds < 1 || req.ttlSeconds > MAX_TTL_SECONDS) {
    throw new ValidationError(`the time to live must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}, got ${req.ttlSeconds}`);
  }
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    ...(req.orgId ? { org: req.orgId } : {}),
    ...(req.scope ? { scope: req.scope } : {}),
    ...(req.clientId ? { client_id: req.clientId } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(req.userId)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + req.ttlSeconds)
    .sign(secret(home));
}

/** Checks signature, algorithm, issuer, audience and expiry; throws on any failure. */
export async function verifyLocalToken(home: string, token: string): Promise<LocalClaims> {
  const { payload } = await jwtVerify(token, secret(home), {
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    algorithms: ['HS256'],
    requiredClaims: ['sub', 'exp'],
  });
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('token has no subject');
  return payload as LocalClaims;
}
