import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath, DEFAULT_CONFIG_PATH, loadConfig, readConfig, type ConfigReadResult } from '../../../lib/config';
import { ConfigError, type ValidationIssue } from '../../../lib/errors';
import { canonicalJson } from '../../../lib/shared/canonicalJson';

const TODAY = new Date('2026-11-20T09:00:00Z');
const FILE = '/cfg/autopilot.yml';

const UNTAGGED_POLICY = {
  rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }],
};

const FILES: Record<string, string> = {
  '/cfg/lifecycle/untagged.json': JSON.stringify(UNTAGGED_POLICY),
  '/cfg/lifecycle/zero-priority.json': JSON.stringify({ rules: [{ ...UNTAGGED_POLICY.rules[0], rulePriority: 0 }] }),
  '/cfg/lifecycle/broken.json': '{"rules": [',
};

function read(text: string): ConfigReadResult {
  return readConfig(text, FILE, {
    today: TODAY,
    readFile: (path) => {
      const content = FILES[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return content;
    },
  });
}

/** A configuration with the given repository classes (YAML list items) and extra top-level YAML. */
function config(classes: string, extra = ''): string {
  return `version: 1\nrepositoryClasses:\n${classes}\n${extra}`;
}

function issuesOf(text: string): ValidationIssue[] {
  const result = read(text);
  if (result.ok) throw new Error('the configuration was accepted');
  return result.issues;
}

describe('readConfig', () => {
  it('loads a valid configuration and fills the defaults', () => {
    // Prepare
    const text = config('  - name: services\n    repositories: ["**"]\n    lifecyclePolicy: lifecycle/untagged.json\n    scanOnPush: true');

    // Act
    const result = read(text);

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([]);
    // toMatchObject: other parts of the project add their own sections to the configuration.
    expect(result.config).toMatchObject({
      version: 1,
      source: FILE,
      repositoryClasses: [
        {
          name: 'services',
          repositories: ['**'],
          lifecyclePolicy: { text: canonicalJson(UNTAGGED_POLICY), source: 'lifecycle/untagged.json' },
          scanOnPush: true,
          protectedTags: [],
          expireOnPush: false,
        },
      ],
      scan: { failAbove: { CRITICAL: 0 }, warnAbove: { HIGH: 0 }, topFindings: 10, acceptedFindings: [] },
      notifications: { pushSummaries: 'tagged', scanSummaries: 'always', httpsFormat: 'amazon-q' },
    });
  });

  it('accepts an inline lifecycle policy and stores it as canonical JSON', () => {
    // Prepare
    const text = config(
      '  - name: services\n    repositories: ["**"]\n    lifecyclePolicy:\n      rules:\n        - action: { type: expire }\n          selection: { countNumber: 7, countUnit: days, countType: sinceImagePushed, tagStatus: untagged }\n          rulePriority: 1',
    );

    // Act
    const result = read(text);

    // Assess
    expect(result.ok && result.config.repositoryClasses[0]?.lifecyclePolicy).toEqual({ text: canonicalJson(UNTAGGED_POLICY), source: 'inline' });
  });

  it.each([
    ['an unknown key in a class', config('  - name: a\n    repositories: ["**"]\n    scanOnpush: true'), 'repositoryClasses[0].scanOnpush', /not a known field/, 'remove it or check its spelling'],
    ['an unknown top-level key', config('  - name: a\n    repositories: ["**"]', 'notification: {}'), 'notification', /not a known field/, 'remove it or check its spelling'],
    ['an unknown severity', config('  - name: a\n    repositories: ["**"]', 'scan:\n  failAbove: { SEVERE: 1 }'), 'scan.failAbove.SEVERE', /not a known field/, 'remove it or check its spelling'],
    ['no repository classes key', 'version: 1', 'repositoryClasses', /is required/, 'add "repositoryClasses"'],
    ['a missing lifecycle policy file', config('  - name: a\n    repositories: ["**"]\n    lifecyclePolicy: lifecycle/missing.json'), 'repositoryClasses[0].lifecyclePolicy', /lifecycle\/missing\.json cannot be read/, 'create /cfg/lifecycle/missing.json or correct the path (relative to the configuration file)'],
    ['a lifecycle policy file that is not JSON', config('  - name: a\n    repositories: ["**"]\n    lifecyclePolicy: lifecycle/broken.json'), 'repositoryClasses[0].lifecyclePolicy', /broken\.json is not valid JSON/, 'fix the JSON syntax'],
    ['duplicate class names', config('  - name: a\n    repositories: ["x/**"]\n  - name: a\n    repositories: ["**"]'), 'repositoryClasses[1].name', /"a" is already the name of repositoryClasses\[0\]/, 'give every repository class a unique name'],
    ['a *_WITH_EXCLUSION mutability without exclusions', config('  - name: a\n    repositories: ["**"]\n    tagMutability: IMMUTABLE_WITH_EXCLUSION'), 'repositoryClasses[0].tagMutabilityExclusions', /is required when tagMutability is IMMUTABLE_WITH_EXCLUSION/, 'list 1 to 5 tag filters such as "latest" or "dev-*"'],
    ['exclusions with a plain mutability', config('  - name: a\n    repositories: ["**"]\n    tagMutability: MUTABLE\n    tagMutabilityExclusions: ["latest"]'), 'repositoryClasses[0].tagMutabilityExclusions', /only allowed with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION \(tagMutability is MUTABLE\)/, 'set tagMutability to a *_WITH_EXCLUSION value or remove the exclusions'],
    ['exclusions without any mutability', config('  - name: a\n    repositories: ["**"]\n    tagMutabilityExclusions: ["latest"]'), 'repositoryClasses[0].tagMutabilityExclusions', /tagMutability is not set/, 'set tagMutability to a *_WITH_EXCLUSION value or remove the exclusions'],
    // API Reference, ImageTagMutabilityExclusionFilter: filter ^[0-9a-zA-Z._*-]{1,128}$ (PutImageTagMutability would answer 400).
    ['an exclusion filter with "/"', config('  - name: a\n    repositories: ["**"]\n    tagMutability: IMMUTABLE_WITH_EXCLUSION\n    tagMutabilityExclusions: ["latest", "feature/*"]'), 'repositoryClasses[0].tagMutabilityExclusions[1]', /must be 1 to 128 letters, digits, "\.", "_", "-" or "\*"/, 'write the filter without other characters, e.g. "feature-*" instead of "feature/*"'],
    ['an exclusion filter with a space', config('  - name: a\n    repositories: ["**"]\n    tagMutability: MUTABLE_WITH_EXCLUSION\n    tagMutabilityExclusions: ["release candidate"]'), 'repositoryClasses[0].tagMutabilityExclusions[0]', /ImageTagMutabilityExclusionFilter/, 'write the filter without other characters, e.g. "feature-*" instead of "feature/*"'],
    ['expireOnPush without a lifecycle policy', config('  - name: a\n    repositories: ["**"]\n    expireOnPush: true'), 'repositoryClasses[0].expireOnPush', /needs a lifecyclePolicy/, 'add a lifecyclePolicy to the class or set expireOnPush: false'],
  ])('rejects %s with the path and the fix', (_what, text, path, message, fix) => {
    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path, fix });
    expect(issues[0]?.message).toMatch(message);
  });

  it.each([
    ['an unknown tag mutability', config('  - name: a\n    repositories: ["**"]\n    tagMutability: FROZEN'), 'repositoryClasses[0].tagMutability', 'must be one of "MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION", found "FROZEN"'],
    ['an unknown scan summary mode', config('  - name: a\n    repositories: ["**"]', 'notifications:\n  scanSummaries: sometimes'), 'notifications.scanSummaries', 'must be one of "always", "findings", "warnOrFail", found "sometimes"'],
    ['another version', config('  - name: a\n    repositories: ["**"]').replace('version: 1', 'version: 2'), 'version', 'must be one of 1, found number 2'],
    ['more than five exclusions', config('  - name: a\n    repositories: ["**"]\n    tagMutability: MUTABLE_WITH_EXCLUSION\n    tagMutabilityExclusions: [a, b, c, d, e, f]'), 'repositoryClasses[0].tagMutabilityExclusions', 'must have at most 5 item(s)'],
    ['a class name with capitals', config('  - name: Team_A\n    repositories: ["**"]'), 'repositoryClasses[0].name', 'must be lowercase letters, digits and dashes'],
    ['a negative threshold', config('  - name: a\n    repositories: ["**"]', 'scan:\n  failAbove: { CRITICAL: -1 }'), 'scan.failAbove.CRITICAL', 'must be ≥ 0, found number -1'],
    ['no repository classes', 'version: 1\nrepositoryClasses: []', 'repositoryClasses', 'must have at least 1 item(s)'],
    ['a class without globs', config('  - name: a\n    repositories: []'), 'repositoryClasses[0].repositories', 'must have at least 1 item(s)'],
  ])('rejects %s, naming the field and what is allowed', (_what, text, path, message) => {
    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toEqual([{ path, message }]);
  });

  it('rejects an invalid lifecycle policy with the path into the policy file', () => {
    // Prepare
    const text = config('  - name: a\n    repositories: ["**"]\n    lifecyclePolicy: lifecycle/zero-priority.json');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('repositoryClasses[0].lifecyclePolicy (lifecycle/zero-priority.json).rules[0].rulePriority');
    expect(issues[0]?.message).toMatch(/rulePriority must be a whole number ≥ 1, got 0/);
    expect(issues[0]?.fix).toBeTruthy();
  });

  it('rejects an invalid inline lifecycle policy with the path into the policy', () => {
    // Prepare
    const text = config('  - name: a\n    repositories: ["**"]\n    lifecyclePolicy: { rules: [ { rulePriority: 1, action: { type: expire } } ] }');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual(['repositoryClasses[0].lifecyclePolicy.rules[0].selection']);
    expect(issues[0]?.fix).toMatch(/selection/);
  });

  it('reports every problem at once', () => {
    // Prepare
    const text = config(
      '  - name: a\n    repositories: ["x/**"]\n    expireOnPush: true\n  - name: a\n    repositories: ["**"]\n    lifecyclePolicy: lifecycle/missing.json',
    );

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.map((issue) => issue.path).sort()).toEqual(['repositoryClasses[0].expireOnPush', 'repositoryClasses[1].lifecyclePolicy', 'repositoryClasses[1].name']);
  });

  it('reports a YAML syntax error with its line and column', () => {
    // Prepare
    const text = 'version: 1\nrepositoryClasses:\n  - name: a\n    repositories: [**\n';

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.path).toMatch(/^line \d+, column \d+$/);
      expect(issue.fix).toBe('fix the YAML syntax');
      expect(issue.message).not.toContain('\n');
    }
  });

  it('rejects a duplicate YAML key instead of keeping the last one', () => {
    // Act
    const issues = issuesOf('version: 1\nversion: 1\nrepositoryClasses: []');

    // Assess
    expect(issues).toEqual([{ path: 'line 2, column 1', message: expect.stringMatching(/Map keys must be unique/), fix: 'fix the YAML syntax' }]);
  });

  it('warns about a class after a catch-all, which can never match', () => {
    // Prepare
    const text = config('  - name: everything\n    repositories: ["**"]\n  - name: team-a\n    repositories: ["team-a/*"]');

    // Act
    const result = read(text);

    // Assess
    expect(result.ok && result.warnings).toEqual([
      'repositoryClasses[1] (team-a) can never match: repositoryClasses[0] (everything) matches every repository first; move the catch-all last',
    ]);
  });

  it('does not take a broad glob that is not a catch-all for one', () => {
    // Prepare
    const text = config('  - name: names\n    repositories: ["**/name"]\n  - name: rest\n    repositories: ["**"]');

    // Act
    const result = read(text);

    // Assess
    expect(result.ok && result.warnings).toEqual([]);
  });

  it('warns, as lifecycle check does, about a rule whose tag prefixes must ALL match', () => {
    // Prepare: the shipped services.json before it had one rule per protected prefix.
    const text = config('  - name: services\n    repositories: ["**"]\n    lifecyclePolicy: lifecycle/two-prefixes.json');
    FILES['/cfg/lifecycle/two-prefixes.json'] = readFileSync(resolve(DEFAULT_CONFIG_PATH, '../../test/samples/lifecycle/two-prefixes-in-one-rule.json'), 'utf8');

    // Act
    const result = read(text);

    // Assess: accepted (ECR accepts it), with the warning.
    expect(result.ok && result.warnings).toEqual([
      'repositoryClasses[0].lifecyclePolicy (lifecycle/two-prefixes.json): rules[0] (rulePriority 1) selection.tagPrefixList: selects only images that have tags matching ALL of "release-", "prod-" (fix: to protect or expire each prefix on its own, use one rule per prefix)',
    ]);
  });

  it('warns about an accepted finding that has expired', () => {
    // Prepare
    const text = config(
      '  - name: a\n    repositories: ["**"]',
      'scan:\n  acceptedFindings:\n    - { id: CVE-2023-44487, reason: not reachable, expires: 2026-11-19 }\n    - { id: CVE-2024-6387, reason: patched in base, expires: 2026-11-20 }',
    );

    // Act
    const result = read(text);

    // Assess
    expect(result.ok && result.warnings).toEqual(['scan.acceptedFindings[0] (CVE-2023-44487) expired on 2026-11-19; it counts against thresholds again']);
  });
});

describe('loadConfig', () => {
  it('loads the project configuration infra/autopilot.yml with its lifecycle files', () => {
    // Act
    const { config: loaded, warnings } = loadConfig(DEFAULT_CONFIG_PATH);

    // Assess
    expect(warnings).toEqual([]);
    expect(loaded.repositoryClasses.map((repositoryClass) => repositoryClass.name)).toEqual(['mirrors', 'pull-through-cache', 'services']);
    const services = loaded.repositoryClasses[2];
    expect(services?.lifecyclePolicy).toEqual({
      text: canonicalJson(readFileSync(resolve(DEFAULT_CONFIG_PATH, '../lifecycle/services.json'), 'utf8')),
      source: 'lifecycle/services.json',
    });
    expect(services?.tagMutabilityExclusions).toEqual(['latest', 'main', 'dev-*']);
    expect(loaded.scan.failAbove).toEqual({ CRITICAL: 0, HIGH: 10 });
  });

  it('throws a ConfigError that names the file and points at AUTOPILOT_CONFIG when the file is missing', () => {
    // Prepare
    const missing = join(tmpdir(), 'ecr-autopilot-no-such-config.yml');

    // Act
    const run = () => loadConfig(missing);

    // Assess
    expect(run).toThrow(ConfigError);
    try {
      run();
    } catch (error) {
      expect((error as ConfigError).code).toBe('CONFIG_INVALID');
      expect((error as ConfigError).issues).toEqual([{ path: '', message: 'file not found', fix: expect.stringContaining('AUTOPILOT_CONFIG') }]);
      expect((error as ConfigError).message).toContain(missing);
    }
  });

  it('throws a ConfigError listing every issue of an invalid file', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-config-'));
    const file = join(dir, 'autopilot.yml');
    writeFileSync(file, config('  - name: a\n    repositories: ["**"]\n    tagMutability: FROZEN\n    scanOnpush: true'));

    // Act
    let error: unknown;
    try {
      loadConfig(file);
    } catch (thrown) {
      error = thrown;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(['repositoryClasses[0].scanOnpush', 'repositoryClasses[0].tagMutability']);
    expect((error as ConfigError).message).toContain('repositoryClasses[0].scanOnpush: is not a known field (fix: remove it or check its spelling)');
  });

  it('loads the file AUTOPILOT_CONFIG names, with lifecycle files relative to it', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-config-'));
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies/untagged.json'), JSON.stringify(UNTAGGED_POLICY, null, 4));
    writeFileSync(join(dir, 'custom.yml'), config('  - name: only\n    repositories: ["team-z/**"]\n    lifecyclePolicy: policies/untagged.json'));

    // Act
    const { config: loaded } = loadConfig(configPath({ AUTOPILOT_CONFIG: join(dir, 'custom.yml') }));

    // Assess
    expect(loaded.source).toBe(join(dir, 'custom.yml'));
    expect(loaded.repositoryClasses[0]?.lifecyclePolicy).toEqual({ text: canonicalJson(UNTAGGED_POLICY), source: 'policies/untagged.json' });
  });
});

describe('configPath', () => {
  it('uses infra/autopilot.yml when AUTOPILOT_CONFIG is not set', () => {
    // Act & Assess
    expect(configPath({})).toBe(DEFAULT_CONFIG_PATH);
    expect(DEFAULT_CONFIG_PATH.endsWith('/infra/autopilot.yml')).toBe(true);
  });

  it('ignores an empty AUTOPILOT_CONFIG', () => {
    // Act & Assess
    expect(configPath({ AUTOPILOT_CONFIG: '  ' })).toBe(DEFAULT_CONFIG_PATH);
  });

  it('resolves a relative AUTOPILOT_CONFIG against the working directory', () => {
    // Act & Assess
    expect(configPath({ AUTOPILOT_CONFIG: 'configs/prod.yml' })).toBe(resolve(process.cwd(), 'configs/prod.yml'));
  });
});
