import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Replaces `@aws-sdk/credential-provider-node` in Lambda bundles (see infra/build/esbuild.config.cjs).
 * Lambda always hands the function its role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, so the full provider chain (SSO, profiles, IMDS,
 * web identity: ~90 KB minified per bundle) is dead weight there. The CLI keeps the full chain.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
