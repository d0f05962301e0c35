import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Json = any;

const ROOT = new URL('../../../', import.meta.url).pathname;
let dir: string;
let resources: Record<string, { Type: string; Properties: Json }>;

function statementsOf(fn: string): Json[] {
  return resources[`${fn}IamRoleLambdaExecution`]?.Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement) ?? [];
}

function actionsOf(fn: string): string[] {
  return statementsOf(fn)
    .flatMap((statement) => [statement.Action].flat())
    .filter((action: string) => !action.startsWith('logs:'))
    .sort();
}

function rulesTargeting(fn: string): Json[] {
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::Events::Rule')
    .map((rule) => rule.Properties)
    .filter((properties) => properties.Targets.some((target: Json) => target.Arn?.['Fn::GetAtt']?.[0] === `${fn}LambdaFunction`));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-ptc-package-'));
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/osls'), ['package', '--package', dir], {
    cwd: ROOT,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    maxBuffer: 16 * 1024 * 1024,
  });
  resources = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the pull-through cache stack', () => {
  it('declares the failed-pull rule in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, with retries and the DLQ', () => {
    // Act
    const [rule] = rulesTargeting('OnPullThroughCache').filter((properties) => properties.EventPattern?.['detail-type']?.[0] === 'AWS API Call via CloudTrail');

    // Assess
    expect(rule).toMatchObject({
      Name: 'ecr-autopilot-dev-pull-through-cache-miss',
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventPattern: {
        source: ['aws.ecr'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['ecr.amazonaws.com'], eventName: ['BatchGetImage', 'GetDownloadUrlForLayer'], errorCode: ['RepositoryNotFoundException'] },
      },
    });
    expect(rule.Targets[0]).toMatchObject({ RetryPolicy: { MaximumRetryAttempts: 3 }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } });
    expect(resources.PullThroughCacheMissPermission?.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': ['OnPullThroughCacheLambdaFunction', 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['PullThroughCacheMissRule', 'Arn'] },
    });
  });

  it('routes failed pull-through cache syncs (anything but SUCCESS) to onPullThroughCache', () => {
    // Act
    const rule = rulesTargeting('OnPullThroughCache').find((properties) => properties.EventPattern?.['detail-type']?.[0] === 'ECR Pull Through Cache Action');

    // Assess
    expect(rule?.EventPattern.detail).toEqual({ 'sync-status': [{ 'anything-but': 'SUCCESS' }] });
    expect(rule?.Targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
  });

  it('runs syncPullThroughCache daily', () => {
    // Act
    const rules = rulesTargeting('SyncPullThroughCache');

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0].ScheduleExpression).toMatch(/^cron\(/);
    expect(rules[0].Targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
  });

  it('grants each function only the pull-through cache actions it calls', () => {
    // Prepare
    const common = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'ecr:CreateRepository', 'ecr:PutLifecyclePolicy', 'iam:CreateServiceLinkedRole', 'secretsmanager:DescribeSecret', 'sns:Publish', 'sqs:SendMessage'];
    const onDemand = ['ecr:CreatePullThroughCacheRule', 'ecr:CreateRepositoryCreationTemplate', 'ecr:DescribePullThroughCacheRules', 'ecr:DescribeRepositoryCreationTemplates', 'ecr:UpdateRepositoryCreationTemplate', 'ecr:ValidatePullThroughCacheRule'];

    // Act / Assess
    // The state table's read and write come on top of the idempotency table's (a statement each).
    // Both validate what they create (ValidatePullThroughCacheRule).
    expect(actionsOf('OnPullThroughCache')).toEqual([...common, ...onDemand, 'dynamodb:GetItem', 'dynamodb:UpdateItem'].sort());
    expect(actionsOf('SyncPullThroughCache')).toEqual([...common, ...onDemand, 'ecr:DeletePullThroughCacheRule', 'ecr:UpdatePullThroughCacheRule'].sort());
  });

  it('gives onPullThroughCache the state table (its name, and only the read and write it makes) for the repeat windows of its notices', () => {
    // Act
    const state = statementsOf('OnPullThroughCache').filter((statement) => JSON.stringify(statement.Resource).includes('StateTable'));

    // Assess
    expect(state).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': ['StateTable', 'Arn'] } }]);
    expect(resources.OnPullThroughCacheLambdaFunction?.Properties.Environment.Variables.STATE_TABLE_NAME).toEqual({ Ref: 'StateTable' });
  });

  it('lets them describe pull-through cache secrets only, and read no secret value', () => {
    for (const fn of ['OnPullThroughCache', 'SyncPullThroughCache']) {
      // Act
      const describe = statementsOf(fn).find((statement) => [statement.Action].flat().includes('secretsmanager:DescribeSecret'));

      // Assess
      expect(describe.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr-pullthroughcache/*' });
      expect(actionsOf(fn)).not.toContain('secretsmanager:GetSecretValue');
    }
  });

  it('holds the registry-level ECR actions to the stack region and the rest to repository ARNs', () => {
    for (const fn of ['OnPullThroughCache', 'SyncPullThroughCache']) {
      // Act
      const ecr = statementsOf(fn).filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith('ecr:')));

      // Assess
      for (const statement of ecr) {
        if (statement.Resource === '*') expect(statement.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } });
        else expect(JSON.stringify(statement.Resource)).toContain(':ecr:${AWS::Region}:${AWS::AccountId}:repository/');
      }
    }
  });
});
