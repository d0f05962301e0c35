import { describeError } from '../../errors';
import { desiredPtcState } from '../../pull-through-cache/desiredPtcState';
import { normalizePrefix } from '../../pull-through-cache/limits';
import type { CheckResult, LabCheck } from '../types';

const SECTION = 'Pull-through cache' as const;

/**
 * The lab's "create a pull-through cache rule" step, for every declared rule: it exists, points at
 * its upstream, validates (authenticated upstreams: ValidatePullThroughCacheRule), and its
 * repository creation template exists so cached repositories start governed.
 */
export const pullThroughCacheCheck: LabCheck = {
  id: 'pull-through-cache',
  section: SECTION,
  async run(context) {
    const desired = desiredPtcState(context.config);
    if (desired.rules.length === 0) {
      return [{ id: 'ptc', section: SECTION, title: 'Pull-through cache rules', status: 'skipped', expected: 'rules in pullThroughCache.rules', found: 'none declared' }];
    }
    const [rules, templates] = await Promise.all([context.ptc.listRules({ signal: context.signal }), context.ptc.listTemplates({ signal: context.signal })]);
    const results: CheckResult[] = [];
    for (const rule of desired.rules) {
      const prefix = normalizePrefix(rule.prefix);
      const base = { id: `ptc:${prefix}`, section: SECTION, title: `Rule ${prefix} → ${rule.upstreamRegistryUrl}` } as const;
      const actual = rules.find((candidate) => normalizePrefix(candidate.prefix) === prefix);
      const template = templates.find((candidate) => normalizePrefix(candidate.prefix) === prefix);
      const templateNote = template ? 'template present' : 'no repository creation template';
      if (!actual) {
        results.push(
          rule.onDemand
            ? { ...base, status: 'warn', expected: 'the rule (created on the first pull: autoCreate)', found: 'not created yet', fix: `pull any image through ${prefix}/, or run: ecr-autopilot ptc sync` }
            : { ...base, status: 'fail', expected: 'the rule exists', found: 'no rule', fix: 'ecr-autopilot ptc sync' },
        );
        continue;
      }
      if (actual.upstreamRegistryUrl !== rule.upstreamRegistryUrl) {
        results.push({ ...base, status: 'fail', expected: `upstream ${rule.upstreamRegistryUrl}`, found: `upstream ${actual.upstreamRegistryUrl}`, fix: 'set pullThroughCache.prune: true and run ecr-autopilot ptc sync to replace it' });
        continue;
      }
      let validation = 'no credential needed';
      if (rule.credentialSecret || actual.credentialArn) {
        try {
          const result = await context.ptc.validateRule(prefix, { signal: context.signal });
          if (!result.isValid) {
            results.push({ ...base, status: 'fail', expected: 'ValidatePullThroughCacheRule: valid', found: `invalid: ${result.failure ?? 'no reason given'}`, fix: `update the secret ${rule.credentialSecret ?? ''} with a working username and access token`.trim() });
            continue;
          }
          validation = 'validated upstream';
        } catch (error) {
          results.push({ ...base, status: 'fail', expected: 'ValidatePullThroughCacheRule: valid', found: describeError(error), fix: 'ecr-autopilot ptc status' });
          continue;
        }
      }
      results.push(
        template
          ? { ...base, status: 'pass', expected: 'rule, upstream, credential and template', found: `${validation}; ${templateNote}` }
          : { ...base, status: 'fail', expected: 'a repository creation template for the prefix', found: `${validation}; ${templateNote}`, fix: 'ecr-autopilot ptc sync' },
      );
    }
    return results;
  },
};
