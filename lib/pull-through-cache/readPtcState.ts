import type { CallOptions } from '../shared/retry';
import type { PtcStateReader } from './PtcStateReader';
import type { DesiredPtcState, PtcState, SecretMetadata } from './types';

/**
 * Reads everything the reconcile compares, once: every rule, every template, and the metadata of
 * each credential secret the configuration names (DescribeSecret per name: the function may not
 * list secrets, and never reads a value).
 *
 * @example
 * const state = await readPtcState(reader, desiredPtcState(config));
 */
export async function readPtcState(reader: PtcStateReader, desired: Pick<DesiredPtcState, 'rules'>, call: CallOptions = {}): Promise<PtcState> {
  const [rules, templates] = await Promise.all([reader.listRules(call), reader.listTemplates(call)]);
  const secrets = new Map<string, SecretMetadata | undefined>();
  for (const rule of desired.rules) {
    if (rule.credentialSecret && !secrets.has(rule.credentialSecret)) secrets.set(rule.credentialSecret, await reader.describeSecret(rule.credentialSecret, call));
  }
  return { rules, templates, secrets };
}
