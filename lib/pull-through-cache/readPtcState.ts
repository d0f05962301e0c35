import { readOrReport } from '../shared/awsFailure';
import type { CallOptions } from '../shared/retry';
import type { PtcStateReader } from './PtcStateReader';
import type { DesiredPtcState, PtcReadFailures, PtcState, SecretMetadata } from './types';

/**
 * Reads everything the reconcile compares, once: every rule, every template, and the metadata of
 * each credential secret the configuration names (DescribeSecret per name: the function may not
 * list secrets, and never reads a value).
 *
 * @example
 * const state = await readPtcState(reader, desiredPtcState(config));
 */
export async function readPtcState(reader: PtcStateReader, desired: Pick<DesiredPtcState, 'rules'>, call: CallOptions = {}, options: { tolerant?: boolean } = {}): Promise<PtcState> {
  if (!options.tolerant) {
    const [rules, templates] = await Promise.all([reader.listRules(call), reader.listTemplates(call)]);
    const secrets = new Map<string, SecretMetadata | undefined>();
    for (const rule of desired.rules) {
      if (rule.credentialSecret && !secrets.has(rule.credentialSecret)) secrets.set(rule.credentialSecret, await reader.describeSecret(rule.credentialSecret, call));
    }
    return { rules, templates, secrets };
  }
  // Tolerant (ptc status): every read is tried; a failure about one item (denied, expired credentials,
  // an unexpected answer) is recorded with its fix, and the rest goes on.
  const failures: { rules?: string; templates?: string; secrets: Map<string, string> } = { secrets: new Map() };
  const [rules, templates] = await Promise.all([
    readOrReport('ecr:DescribePullThroughCacheRules', () => reader.listRules(call), (message) => (failures.rules = message)),
    readOrReport('ecr:DescribeRepositoryCreationTemplates', () => reader.listTemplates(call), (message) => (failures.templates = message)),
  ]);
  const secrets = new Map<string, SecretMetadata | undefined>();
  for (const rule of desired.rules) {
    const name = rule.credentialSecret;
    if (!name || secrets.has(name) || failures.secrets.has(name)) continue;
    const metadata = await readOrReport(`secretsmanager:DescribeSecret ${name}`, async () => ({ found: await reader.describeSecret(name, call) }), (message) => failures.secrets.set(name, message));
    if (metadata) secrets.set(name, metadata.found);
  }
  const unreadable: PtcReadFailures = {
    ...(failures.rules ? { rules: failures.rules } : {}),
    ...(failures.templates ? { templates: failures.templates } : {}),
    ...(failures.secrets.size > 0 ? { secrets: failures.secrets } : {}),
  };
  return { rules: rules ?? [], templates: templates ?? [], secrets, ...(Object.keys(unreadable).length > 0 ? { unreadable } : {}) };
}
