import { sameJson } from '../shared/canonicalJson';
import type { CreatePtcRuleChange, PtcChange, UpdatePtcRuleChange } from './changes';
import { createSecretCommand } from './explainPtcFailure';
import { MAX_PTC_RULES, normalizePrefix } from './limits';
import type { ActualPtcRule, ActualTemplate, DesiredPtcRule, DesiredPtcState, PtcProblem, PtcRuleReport, PtcState, TemplateSettings } from './types';

/** What the reconcile would do, and where every rule stands. */
export interface PtcPlan {
  /** In order: deletions first (they free quota), then per rule its template before the rule itself. */
  changes: PtcChange[];
  /** One per declared rule (in declaration order), then one per undeclared existing rule. */
  rules: PtcRuleReport[];
}

/**
 * The reconcile plan: desired versus actual. Pure: no SDK, no clock, no I/O.
 *
 * Input: the desired state (configuration) and the state read from the registry. Output: the
 * changes (each with a reason) and a report per rule.
 * 1. Undeclared rules are reported; with `prune` they are deleted (their templates and cached
 *    repositories stay: templates may serve other rules, and deleting a rule never deletes data).
 * 2. A declared rule whose secret is missing or scheduled for deletion is not created or switched
 *    to that secret (ECR would reject it); the report carries the command that creates the secret.
 * 3. A missing declared rule is created, unless it is listed in `autoCreate` (it waits for the first
 *    failed pull) or the registry would exceed 50 rules (reported, not attempted).
 * 4. An existing rule gets `UpdatePullThroughCacheRule` when its credential or role differs; an
 *    upstream that differs cannot be updated (aws-ecr-facts §3.3): the rule is replaced with
 *    `prune`, otherwise reported.
 * 5. Each declared rule that exists or is created gets its template created or updated (before the
 *    rule, so a pull right after the rule exists already gets the template).
 * Applying the plan and reading again gives an empty plan.
 *
 * @example
 * const plan = diffPtcState(desiredPtcState(config), await readPtcState(reader, desired), { region });
 */
export function diffPtcState(desired: DesiredPtcState, state: PtcState, options: { region?: string } = {}): PtcPlan {
  // Rules that could not be read (ptc status): where each declared rule stands is unknown; nothing is planned.
  if (state.unreadable?.rules !== undefined) return unknownRules(desired, state, options.region);
  const actualRules = new Map(state.rules.map((rule) => [normalizePrefix(rule.prefix), rule]));
  const actualTemplates = new Map(state.templates.map((template) => [normalizePrefix(template.prefix), template]));
  const declared = new Set(desired.rules.map((rule) => rule.prefix));
  // Templates that could not be read are not compared, so none is created or updated; nor is one
  // whose KMS key ECR would reject for its region (the rule's problem says so).
  const templateChanges = (rule: DesiredPtcRule, actual: ActualTemplate | undefined, report: PtcRuleReport): PtcChange[] => {
    if (state.unreadable?.templates !== undefined) {
      report.template = 'unknown';
      return [];
    }
    const changes = planTemplate(rule, actual, report);
    const keyProblem = kmsKeyRegionProblem(rule, options.region);
    if (changes.length === 0 || !keyProblem) return changes;
    report.problems.push(keyProblem);
    report.reasons.push(`template ${rule.prefix} is not ${actual ? 'updated' : 'created'}: ${keyProblem.message}`);
    return [];
  };

  const deletions: PtcChange[] = [];
  const unmanaged: PtcRuleReport[] = [];
  for (const [prefix, actual] of actualRules) {
    if (declared.has(prefix)) continue;
    const report: PtcRuleReport = {
      prefix,
      declared: false,
      onDemand: false,
      status: desired.prune ? 'delete' : 'unmanaged',
      exists: true,
      upstreamRegistryUrl: actual.upstreamRegistryUrl,
      credential: actual.credentialArn ? 'ok' : 'none',
      template: 'none',
      reasons: [],
      problems: [],
    };
    if (desired.prune) {
      const reason = `rule ${prefix} (${actual.upstreamRegistryUrl}) is not declared in pullThroughCache.rules and prune is on: delete it (its cached repositories and any template stay)`;
      deletions.push({ action: 'ecr:DeletePullThroughCacheRule', target: prefix, reason });
      report.reasons.push(reason);
    } else {
      report.reasons.push(`rule ${prefix} (${actual.upstreamRegistryUrl}) is not declared in pullThroughCache.rules: left alone (prune is off)`);
    }
    unmanaged.push(report);
  }

  let ruleCount = actualRules.size - deletions.length;
  const ruleChanges: PtcChange[] = [];
  const reports: PtcRuleReport[] = [];
  for (const rule of desired.rules) {
    const actual = actualRules.get(rule.prefix);
    const secret = checkSecret(rule, state, options.region);
    const report: PtcRuleReport = {
      prefix: rule.prefix,
      declared: true,
      onDemand: rule.onDemand,
      status: 'in-sync',
      exists: actual !== undefined,
      upstreamRegistryUrl: rule.upstreamRegistryUrl,
      credential: secret.status,
      template: 'ok',
      reasons: [],
      problems: secret.problem ? [secret.problem] : [],
    };
    if (rule.credentialSecret) report.credentialSecret = rule.credentialSecret;
    const changes: PtcChange[] = [];

    if (!actual) {
      report.template = 'none';
      const keyProblem = kmsKeyRegionProblem(rule, options.region);
      if (rule.onDemand) {
        report.status = 'on-demand';
        report.reasons.push(`rule ${rule.prefix} is listed in autoCreate: it is created when a pull through ${rule.prefix}/ first fails`);
        // Said now, not at the first pull, which could not create it.
        if (keyProblem) report.problems.push(keyProblem);
      } else if (secret.problem) {
        report.status = 'blocked';
        report.reasons.push(`rule ${rule.prefix} is not created: ${secret.problem.message}`);
      } else if (keyProblem) {
        // Without its template, the rule would create repositories with the wrong encryption,
        // which a repository keeps for life: the rule waits for its template.
        report.status = 'blocked';
        report.problems.push(keyProblem);
        report.reasons.push(`rule ${rule.prefix} is not created: ${keyProblem.message}`);
      } else if (ruleCount >= MAX_PTC_RULES) {
        report.status = 'blocked';
        report.problems.push(overQuota(rule.prefix, ruleCount));
      } else {
        ruleCount += 1;
        report.status = 'create';
        changes.push(...templateChanges(rule, actualTemplates.get(rule.prefix), report), createRule(rule, secret.arn));
      }
    } else {
      report.upstreamMatches = sameUpstream(rule, actual);
      const replaceBecause = replaceReasons(rule, actual);
      if (replaceBecause.length > 0) {
        if (desired.prune && !secret.problem && !kmsKeyRegionProblem(rule, options.region)) {
          report.status = 'replace';
          const reason = `rule ${rule.prefix} differs in what cannot be updated (${replaceBecause.join('; ')}) and prune is on: delete it and create it as declared`;
          deletions.push({ action: 'ecr:DeletePullThroughCacheRule', target: rule.prefix, reason });
          changes.push(...templateChanges(rule, actualTemplates.get(rule.prefix), report), createRule(rule, secret.arn, reason));
        } else {
          report.status = 'drifted';
          report.problems.push({
            code: report.upstreamMatches ? 'CREDENTIAL_NOT_REMOVABLE' : 'UPSTREAM_MISMATCH',
            message: `rule ${rule.prefix} differs from the configuration in what UpdatePullThroughCacheRule cannot change: ${replaceBecause.join('; ')}`,
            fix: 'set pullThroughCache.prune: true (or run `ecr-autopilot ptc sync --prune`) to replace it, or change the rule in the configuration to match',
            command: `aws ecr delete-pull-through-cache-rule --ecr-repository-prefix ${rule.prefix}${options.region ? ` --region ${options.region}` : ''}`,
          });
          changes.push(...templateChanges(rule, actualTemplates.get(rule.prefix), report));
        }
      } else {
        const update = updateRule(rule, actual, secret.arn);
        if (update && secret.arn !== undefined && !sameSecretArn(actual.credentialArn, secret.arn)) report.credential = 'changed';
        changes.push(...templateChanges(rule, actualTemplates.get(rule.prefix), report), ...(update ? [update] : []));
        if (secret.problem) {
          report.status = 'blocked';
          report.reasons.push(`rule ${rule.prefix} keeps its current credential: ${secret.problem.message}`);
        } else if (report.problems.some((problem) => problem.code === 'KMS_KEY_REGION')) {
          report.status = 'blocked';
        } else if (changes.length > 0) {
          report.status = 'update';
        }
      }
    }
    for (const change of changes) report.reasons.push(change.reason);
    if (report.status === 'in-sync') report.reasons.push(`rule ${rule.prefix} exists as declared, with its template`);
    ruleChanges.push(...changes);
    reports.push(report);
  }
  return { changes: [...deletions, ...ruleChanges], rules: [...reports, ...unmanaged] };
}

/** Every declared rule when the rules could not be read: unknown, with what is known (its secret). */
function unknownRules(desired: DesiredPtcState, state: PtcState, region: string | undefined): PtcPlan {
  const rules = desired.rules.map((rule): PtcRuleReport => {
    const secret = checkSecret(rule, state, region);
    const report: PtcRuleReport = {
      prefix: rule.prefix,
      declared: true,
      onDemand: rule.onDemand,
      status: 'unknown',
      exists: false,
      upstreamRegistryUrl: rule.upstreamRegistryUrl,
      credential: secret.status,
      template: 'unknown',
      reasons: [`the pull-through cache rules could not be read, so whether rule ${rule.prefix} exists is not known`],
      problems: secret.problem ? [secret.problem] : [],
    };
    if (rule.credentialSecret) report.credentialSecret = rule.credentialSecret;
    return report;
  });
  return { changes: [], rules };
}

/** The declared secret's state; its ARN is what a rule's `credentialArn` must be. */
function checkSecret(rule: DesiredPtcRule, state: PtcState, region: string | undefined): { status: PtcRuleReport['credential']; arn?: string; problem?: PtcProblem } {
  if (!rule.credentialSecret) return { status: 'none' };
  const unreadable = state.unreadable?.secrets?.get(rule.credentialSecret);
  if (unreadable !== undefined) {
    return {
      status: 'unknown',
      problem: { code: 'READ_FAILED', message: `its credential secret ${rule.credentialSecret} could not be described: ${unreadable}`, fix: 'fix the cause named in the message, then run `ecr-autopilot ptc status` again' },
    };
  }
  const secret = state.secrets.get(rule.credentialSecret);
  if (!secret) {
    return {
      status: 'missing',
      problem: {
        code: 'SECRET_MISSING',
        message: `its credential secret ${rule.credentialSecret} does not exist${region ? ` in ${region}` : ''}`,
        fix: `create the secret (same account and region as the rule) with the upstream user name and access token, then run the sync again`,
        command: createSecretCommand(rule.credentialSecret, region, rule.upstreamRegistry),
      },
    };
  }
  if (secret.deletedDate) {
    return {
      status: 'scheduled-for-deletion',
      arn: secret.arn,
      problem: {
        code: 'SECRET_SCHEDULED_FOR_DELETION',
        message: `its credential secret ${rule.credentialSecret} is scheduled for deletion, so ECR cannot read it`,
        fix: 'restore the secret, then run the sync again',
        command: `aws secretsmanager restore-secret --secret-id ${rule.credentialSecret}${region ? ` --region ${region}` : ''}`,
      },
    };
  }
  return { status: 'ok', arn: secret.arn };
}

function createRule(rule: DesiredPtcRule, credentialArn: string | undefined, reason?: string): CreatePtcRuleChange {
  const change: CreatePtcRuleChange = {
    action: 'ecr:CreatePullThroughCacheRule',
    target: rule.prefix,
    reason: reason ?? `rule ${rule.prefix} is declared but missing: create it (${rule.upstreamRegistry}, ${rule.upstreamRegistryUrl}${rule.credentialSecret ? `, credential ${rule.credentialSecret}` : ''})`,
    upstreamRegistry: rule.upstreamRegistry,
    upstreamRegistryUrl: rule.upstreamRegistryUrl,
  };
  if (credentialArn) change.credentialArn = credentialArn;
  if (rule.customRoleArn) change.customRoleArn = rule.customRoleArn;
  if (rule.upstreamRepositoryPrefix) change.upstreamRepositoryPrefix = rule.upstreamRepositoryPrefix;
  return change;
}

/** Credential and role are all UpdatePullThroughCacheRule can change (aws-ecr-facts §3.3). */
function updateRule(rule: DesiredPtcRule, actual: ActualPtcRule, secretArn: string | undefined): UpdatePtcRuleChange | undefined {
  const credentialChanged = secretArn !== undefined && !sameSecretArn(actual.credentialArn, secretArn);
  const roleChanged = rule.customRoleArn !== undefined && rule.customRoleArn !== actual.customRoleArn;
  if (!credentialChanged && !roleChanged) return undefined;
  const what = [
    ...(credentialChanged ? [`credential ${actual.credentialArn ?? 'none'} → ${rule.credentialSecret ?? secretArn}`] : []),
    ...(roleChanged ? [`role ${actual.customRoleArn ?? 'none'} → ${rule.customRoleArn ?? ''}`] : []),
  ];
  const change: UpdatePtcRuleChange = { action: 'ecr:UpdatePullThroughCacheRule', target: rule.prefix, reason: `rule ${rule.prefix}: ${what.join(', ')}` };
  // The API replaces both fields: send the one that stays too.
  const credentialArn = credentialChanged ? secretArn : actual.credentialArn;
  const customRoleArn = roleChanged ? rule.customRoleArn : actual.customRoleArn;
  if (credentialArn) change.credentialArn = credentialArn;
  if (customRoleArn) change.customRoleArn = customRoleArn;
  return change;
}

/**
 * A rule created with a partial secret ARN (without Secrets Manager's 6-character suffix) points at
 * the same secret as the full ARN DescribeSecret returns.
 */
function sameSecretArn(ruleArn: string | undefined, secretArn: string): boolean {
  return ruleArn === secretArn || (ruleArn !== undefined && secretArn.startsWith(`${ruleArn}-`) && secretArn.length === ruleArn.length + 7);
}

function sameUpstream(rule: DesiredPtcRule, actual: ActualPtcRule): boolean {
  return actual.upstreamRegistryUrl === rule.upstreamRegistryUrl && (actual.upstreamRepositoryPrefix ?? 'ROOT') === (rule.upstreamRepositoryPrefix ?? 'ROOT');
}

/** What only deleting and creating the rule again can change. */
function replaceReasons(rule: DesiredPtcRule, actual: ActualPtcRule): string[] {
  const reasons: string[] = [];
  if (actual.upstreamRegistryUrl !== rule.upstreamRegistryUrl) reasons.push(`upstream ${actual.upstreamRegistryUrl} → ${rule.upstreamRegistryUrl}`);
  if ((actual.upstreamRepositoryPrefix ?? 'ROOT') !== (rule.upstreamRepositoryPrefix ?? 'ROOT')) {
    reasons.push(`upstream repository prefix ${actual.upstreamRepositoryPrefix ?? 'ROOT'} → ${rule.upstreamRepositoryPrefix ?? 'ROOT'}`);
  }
  if (!rule.credentialSecret && actual.credentialArn && rule.upstreamRegistry !== 'ecr') reasons.push(`credential ${actual.credentialArn} → none`);
  return reasons;
}

/**
 * A template's KMS key must be in the region the template applies in: API Reference,
 * EncryptionConfigurationForRepositoryCreationTemplate, `kmsKey`: "The full ARN of the KMS key must
 * be specified. The key must exist in the same Region as the repository."
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_EncryptionConfigurationForRepositoryCreationTemplate.html).
 * Unknown region (no reader region): not checked.
 *
 * @example
 * kmsKeyRegionProblem(rule, 'ap-northeast-2')?.code // 'KMS_KEY_REGION' for a key in us-east-1
 */
export function kmsKeyRegionProblem(rule: DesiredPtcRule, region: string | undefined): PtcProblem | undefined {
  const kmsKey = rule.template.kmsKey;
  if (!kmsKey || !region) return undefined;
  const [, partition, , keyRegion, account, resource] = kmsKey.split(':');
  if (keyRegion === region) return undefined;
  const keyId = resource?.replace(/^key\//, '') ?? '';
  const replica = keyId.startsWith('mrk-') ? ` or, since ${keyId} is a multi-Region key, its replica in ${region} (arn:${partition}:kms:${region}:${account}:key/${keyId})` : '';
  return {
    code: 'KMS_KEY_REGION',
    message: `its template's KMS key ${kmsKey} is in ${keyRegion}, but the template applies in ${region}; ECR requires the key in the repository's region`,
    fix: `set kmsKey (pullThroughCache.template or the rule's template) to the ARN of a key in ${region}${replica}, then run the sync again`,
    command: `aws kms list-aliases --region ${region} --query "Aliases[?TargetKeyId].[AliasName,TargetKeyId]" --output text`,
  };
}

function overQuota(prefix: string, ruleCount: number): PtcProblem {
  return {
    code: 'OVER_QUOTA',
    message: `rule ${prefix} is not created: the registry would have more than ${MAX_PTC_RULES} pull-through cache rules (${ruleCount} after this plan), ECR's limit (not adjustable)`,
    fix: 'delete rules nobody uses, set pullThroughCache.prune: true to delete undeclared ones, or list rarely used prefixes in autoCreate',
  };
}

function planTemplate(rule: DesiredPtcRule, actual: ActualTemplate | undefined, report: PtcRuleReport): PtcChange[] {
  if (!actual) {
    report.template = 'missing';
    return [
      {
        action: 'ecr:CreateRepositoryCreationTemplate',
        target: rule.prefix,
        reason: `template ${rule.prefix} is missing: create it so repositories cached under ${rule.prefix}/ get ${describeTemplate(rule.template)}`,
        template: rule.template,
      },
    ];
  }
  const differences = templateDifferences(rule.template, actual);
  if (differences.length === 0) {
    report.template = 'ok';
    return [];
  }
  report.template = 'differs';
  return [
    {
      action: 'ecr:UpdateRepositoryCreationTemplate',
      target: rule.prefix,
      reason: `template ${rule.prefix} differs (${differences.join(', ')}): update it (repositories created before keep their settings: templates apply at creation only)`,
      template: rule.template,
    },
  ];
}

function describeTemplate(template: TemplateSettings): string {
  return [template.lifecyclePolicy ? 'the lifecycle policy' : 'no lifecycle policy', `${template.imageTagMutability} tags`, `${template.encryptionType} encryption`].join(', ');
}

/**
 * The fields that differ, with ECR's defaults for what it leaves out (MUTABLE, AES256). Settings
 * the configuration leaves out (lifecycle policy, KMS key, role) are not managed, so never differ.
 * The KMS key is compared as written: the configuration only accepts full ARNs, which ECR returns.
 *
 * @example
 * templateDifferences(desired.template, actualTemplate) // ['lifecyclePolicy', 'imageTagMutability']
 */
export function templateDifferences(desired: TemplateSettings, actual: ActualTemplate): string[] {
  const differences: string[] = [];
  if ((actual.description ?? '') !== desired.description) differences.push('description');
  if (!sameSet(actual.appliedFor, desired.appliedFor)) differences.push('appliedFor');
  if ((actual.imageTagMutability ?? 'MUTABLE') !== desired.imageTagMutability) differences.push('imageTagMutability');
  if (!sameSet(actual.imageTagMutabilityExclusions, desired.imageTagMutabilityExclusions)) differences.push('imageTagMutabilityExclusionFilters');
  if ((actual.encryptionType ?? 'AES256') !== desired.encryptionType) differences.push('encryption');
  else if (desired.kmsKey !== undefined && actual.kmsKey !== desired.kmsKey) differences.push('kmsKey');
  if (desired.lifecyclePolicy !== undefined && (actual.lifecyclePolicy === undefined || !sameJson(actual.lifecyclePolicy, desired.lifecyclePolicy))) differences.push('lifecyclePolicy');
  if (!sameSet(Object.entries(actual.resourceTags).map(([k, v]) => `${k}=${v}`), Object.entries(desired.resourceTags).map(([k, v]) => `${k}=${v}`))) differences.push('resourceTags');
  if (desired.customRoleArn !== undefined && actual.customRoleArn !== desired.customRoleArn) differences.push('customRoleArn');
  return differences;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}
