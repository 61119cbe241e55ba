/**
 * What API Gateway's JWT authorizer is configured to accept, mirrored locally. Apart from the signer
 * (local-tokens.ts) so that the CLI can state the limits in its help without loading jose.
 */
export const LOCAL_ISSUER = 'billing-local';
export const LOCAL_AUDIENCE = 'billing-api';
export const MAX_TTL_SECONDS = 30 * 24 * 3600;
