import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Grants follow the configuration: a repository creation template that names a customRoleArn gets
 * the pull-through cache functions exactly iam:PassRole on that role, to ECR only. Without one, no
 * function may pass any role (asserted on the default configuration by ptcStack.test.ts, whose
 * action lists hold no iam:PassRole).
 */
type Json = any;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SAMPLE = join(ROOT, 'test/samples/config/template-kms-with-role.yml');
const ROLE = 'arn:aws:iam::123456789012:role/ecr-repository-creation';
let dir: string;
let resources: Record<string, { Type: string; Properties: Json }>;

function statementsOf(fn: string): Json[] {
  return resources[`${fn}IamRoleLambdaExecution`]?.Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement) ?? [];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-template-roles-'));
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/osls'), ['package', '--package', dir], {
    cwd: ROOT,
    env: { ...process.env, AUTOPILOT_CONFIG: SAMPLE, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    maxBuffer: 16 * 1024 * 1024,
  });
  resources = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a template with customRoleArn (test/samples/config/template-kms-with-role.yml)', () => {
  it.each(['SyncPullThroughCache', 'OnPullThroughCache'])('lets %s pass exactly that role, and only to ECR', (fn) => {
    // Act
    const passRole = statementsOf(fn).filter((statement) => [statement.Action].flat().includes('iam:PassRole'));

    // Assess
    expect(passRole).toHaveLength(1);
    expect(passRole[0]).toMatchObject({ Effect: 'Allow', Action: ['iam:PassRole'], Condition: { StringEquals: { 'iam:PassedToService': 'ecr.amazonaws.com' } } });
    // Serverless writes a one-element list as a plain string.
    expect([passRole[0].Resource].flat()).toEqual([ROLE]);
  });

  it('gives no other function iam:PassRole', () => {
    // Act
    const others = Object.keys(resources)
      .filter((name) => name.endsWith('IamRoleLambdaExecution'))
      .map((name) => name.replace(/IamRoleLambdaExecution$/, ''))
      .filter((fn) => !['SyncPullThroughCache', 'OnPullThroughCache'].includes(fn));

    // Assess
    expect(others.length).toBeGreaterThan(3);
    for (const fn of others) expect(statementsOf(fn).flatMap((statement) => [statement.Action].flat())).not.toContain('iam:PassRole');
  });
});
