import type { AutopilotConfig, PtcRuleConfig } from '../config/types';
import { normalizePrefix } from './limits';
import type { DesiredPtcRule, DesiredPtcState } from './types';
import { UPSTREAMS } from './upstreams';

/** Repository creation template descriptions are at most 256 characters ([MODEL]). */
const MAX_TEMPLATE_DESCRIPTION = 256;

/**
 * What the configuration wants: every declared rule with its upstream URL (from the catalogue or
 * the rule), its secret name, whether it waits for a failed pull (`autoCreate`), and its complete
 * repository creation template (`appliedFor: PULL_THROUGH_CACHE`).
 *
 * @example
 * desiredPtcState(config).rules.map((rule) => rule.prefix) // ['ecr-public', 'k8s', 'quay', 'docker-hub', 'github']
 */
export function desiredPtcState(config: Pick<AutopilotConfig, 'pullThroughCache'>, options: { prune?: boolean } = {}): DesiredPtcState {
  const settings = config.pullThroughCache ?? { rules: [], autoCreate: [], prune: false };
  const onDemand = new Set(settings.autoCreate.map(normalizePrefix));
  return {
    rules: settings.rules.map((rule) => desiredRule(rule, onDemand.has(normalizePrefix(rule.prefix)))),
    prune: options.prune ?? settings.prune,
  };
}

function desiredRule(rule: PtcRuleConfig, onDemand: boolean): DesiredPtcRule {
  const prefix = normalizePrefix(rule.prefix);
  // loadConfig guarantees a URL for upstreams without a fixed one (ptcConfigRules).
  const upstreamRegistryUrl = rule.upstreamUrl ?? UPSTREAMS[rule.upstream].url ?? '';
  const template = rule.template;
  const desired: DesiredPtcRule = {
    prefix,
    upstreamRegistry: rule.upstream,
    upstreamRegistryUrl,
    onDemand,
    template: {
      description: (template.description ?? `Managed by ecr-autopilot: repositories of pull-through cache rule ${prefix} (${upstreamRegistryUrl})`).slice(0, MAX_TEMPLATE_DESCRIPTION),
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: template.tagMutability ?? 'MUTABLE',
      imageTagMutabilityExclusions: template.tagMutabilityExclusions ?? [],
      encryptionType: template.encryption ?? 'AES256',
      resourceTags: template.resourceTags ?? {},
    },
  };
  if (template.kmsKey) desired.template.kmsKey = template.kmsKey;
  if (template.customRoleArn) desired.template.customRoleArn = template.customRoleArn;
  if (template.lifecyclePolicy) desired.template.lifecyclePolicy = template.lifecyclePolicy.text;
  if (rule.credentialSecret) desired.credentialSecret = rule.credentialSecret;
  if (rule.customRoleArn) desired.customRoleArn = rule.customRoleArn;
  if (rule.upstreamRepositoryPrefix) desired.upstreamRepositoryPrefix = normalizePrefix(rule.upstreamRepositoryPrefix);
  return desired;
}
