/**
 * What the Lambda bundles take for `@aws-sdk/credential-provider-node` (an
 * esbuild alias, infra/billing-function.ts): the credentials Lambda puts in
 * every function's environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), and nothing else. The SDK's default chain would also
 * bundle the SSO, STS, web-identity, profile-file and instance-metadata
 * providers with their own clients (about 80 KiB per function) that a Lambda
 * never uses.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
