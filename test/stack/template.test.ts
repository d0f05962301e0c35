import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import aslValidator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/loadConfig';
import { planFleet } from '../../lib/fleet/planFleet';
import { fleetStateMachineName } from '../../lib/fleet/reportInterruptedFleetRun';
import { CLAIM_LEASE_SECONDS } from '../../lib/notify/repeatWindows';
import { parse, stringify } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OSLS = join(ROOT, 'node_modules/.bin/osls');

type Json = any;

interface Packaged {
  dir: string;
  template: { Resources: Record<string, { Type: string; Properties: Json }> };
}

/** `osls package` into a temporary directory, so concurrent runs do not share .serverless/. */
async function packageStack(stage?: string, env: Record<string, string> = {}): Promise<Packaged> {
  const dir = mkdtempSync(join(tmpdir(), `ecr-autopilot-package-${stage ?? 'dev'}-`));
  const args = ['package', '--package', dir, ...(stage ? ['--stage', stage] : [])];
  await promisify(execFile)(OSLS, args, { cwd: ROOT, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...env }, maxBuffer: 16 * 1024 * 1024 });
  return { dir, template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Packaged['template'] };
}

let dev: Packaged;
let local: Packaged;
/** Packaged with the shipped configuration plus the expireOnPush classes of `CONFIGURED`, and nothing else. */
let expiring: Packaged;
/** Packaged with the shipped configuration plus `verify.nodeRoleArn`, and nothing else. */
let simulating: Packaged;
const configDirs: string[] = [];

/** What the variants add to the shipped configuration: two expireOnPush classes, or the EKS node role to simulate. */
const CONFIGURED = {
  nodeRoleArn: 'arn:aws:iam::123456789012:role/eks-workshop-node-role',
  expireOnPush: [
    { name: 'previews', description: 'Preview builds', repositories: ['previews/**', 'apps/**/pr'], lifecyclePolicy: 'lifecycle/services.json', expireOnPush: true },
    { name: 'scratch', description: 'Scratch images', repositories: ['scratch-*'], lifecyclePolicy: 'lifecycle/services.json', expireOnPush: true },
  ],
};

/** The shipped configuration with the expireOnPush classes or the node role added; its path. */
function writeConfigVariant(add: 'expireOnPush' | 'nodeRoleArn'): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-config-'));
  configDirs.push(dir);
  cpSync(join(ROOT, 'infra/lifecycle'), join(dir, 'lifecycle'), { recursive: true });
  const config = parse(readFileSync(join(ROOT, 'infra/autopilot.yml'), 'utf8'));
  if (add === 'expireOnPush') config.repositoryClasses = [...CONFIGURED.expireOnPush, ...config.repositoryClasses];
  else config.verify = { ...config.verify, nodeRoleArn: CONFIGURED.nodeRoleArn };
  writeFileSync(join(dir, 'autopilot.yml'), stringify(config));
  return join(dir, 'autopilot.yml');
}

/** The foundation's functions; later issues add others, which get the stack-wide checks. */
const FUNCTIONS = ['OnImagePush', 'OnImageScan', 'NotifySlack'] as const;

/** The functions an EventBridge rule or an SNS subscription invokes asynchronously (manual ones are left out). */
function eventTriggered(packaged: Packaged): string[] {
  const targets = [
    ...resourcesOfType(packaged, 'AWS::Events::Rule').flatMap(([, rule]) => rule.Properties.Targets.map((target: Json) => target.Arn?.['Fn::GetAtt']?.[0])),
    ...resourcesOfType(packaged, 'AWS::SNS::Subscription').map(([, subscription]) => subscription.Properties.Endpoint?.['Fn::GetAtt']?.[0]),
  ];
  return [...new Set(targets.filter((target): target is string => typeof target === 'string' && target.endsWith('LambdaFunction')).map((target) => target.replace(/LambdaFunction$/, '')))];
}

/** Every function in a template, by logical id prefix (`OnImagePush` for `OnImagePushLambdaFunction`). */
function allFunctions(packaged: Packaged): string[] {
  return resourcesOfType(packaged, 'AWS::Lambda::Function').map(([name]) => name.replace(/LambdaFunction$/, ''));
}

function resourcesOfType(packaged: Packaged, type: string): Array<[string, Json]> {
  return Object.entries(packaged.template.Resources).filter(([, resource]) => resource.Type === type);
}

function resource(name: string): Json {
  const found = dev.template.Resources[name];
  if (!found) throw new Error(`no resource ${name} in the template`);
  return found;
}

/** The IAM statements of a function's role. */
function statementsOf(fn: (typeof FUNCTIONS)[number]): Json[] {
  return resource(`${fn}IamRoleLambdaExecution`).Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);
}

function actionsOf(statement: Json): string[] {
  return [statement.Action].flat();
}

/** Every action any statement anywhere in a JSON tree allows (role policies, queue policies, …). */
function allowedActions(node: Json): string[] {
  if (Array.isArray(node)) return node.flatMap(allowedActions);
  if (node === null || typeof node !== 'object') return [];
  if (node.Effect === 'Allow' && (node.Action !== undefined || node.NotAction !== undefined)) {
    // NotAction in an Allow grants everything else: report it as a wildcard.
    return node.NotAction !== undefined ? ['*'] : [node.Action].flat().map(String);
  }
  return Object.values(node).flatMap(allowedActions);
}

function rulesTargeting(fn: (typeof FUNCTIONS)[number]): Json[] {
  return resourcesOfType(dev, 'AWS::Events::Rule')
    .map(([, rule]) => rule.Properties)
    .filter((properties) => properties.Targets.some((target: Json) => target.Arn?.['Fn::GetAtt']?.[0] === `${fn}LambdaFunction`));
}

beforeAll(async () => {
  dev = await packageStack();
  local = await packageStack('local');
  expiring = await packageStack(undefined, { AUTOPILOT_CONFIG: writeConfigVariant('expireOnPush') });
  simulating = await packageStack(undefined, { AUTOPILOT_CONFIG: writeConfigVariant('nodeRoleArn') });
}, 400_000);

afterAll(() => {
  for (const packaged of [dev, local, expiring, simulating]) if (packaged) rmSync(packaged.dir, { recursive: true, force: true });
  for (const dir of configDirs) rmSync(dir, { recursive: true, force: true });
});

/** Every statement of a function's role. */
function roleStatements(packaged: Packaged, fn: string): Json[] {
  return (packaged.template.Resources[`${fn}IamRoleLambdaExecution`]?.Properties.Policies ?? []).flatMap((policy: Json) => policy.PolicyDocument.Statement);
}

/** Every statement of every role in a template. */
function allRoleStatements(packaged: Packaged): Json[] {
  return resourcesOfType(packaged, 'AWS::IAM::Role').flatMap(([, role]) => (role.Properties.Policies ?? []).flatMap((policy: Json) => policy.PolicyDocument.Statement));
}

describe('grants that follow the configuration', () => {
  const repositoryArn = (pattern: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/${pattern}` });
  const granting = (statements: Json[], action: string) => statements.filter((statement) => actionsOf(statement).includes(action));
  const onStateTable = (statements: Json[]) => statements.filter((statement) => JSON.stringify(statement.Resource).includes('StateTable'));

  it('gives onImagePush no ecr:BatchDeleteImage and no state table when no class expires on push (the shipped configuration, and with only the node role added)', () => {
    for (const packaged of [dev, simulating]) {
      expect(granting(roleStatements(packaged, 'OnImagePush'), 'ecr:BatchDeleteImage')).toEqual([]);
      expect(onStateTable(roleStatements(packaged, 'OnImagePush'))).toEqual([]);
    }
  });

  it('gives onImagePush ecr:BatchDeleteImage on exactly the repositories of the expireOnPush classes', () => {
    // Act
    const statements = granting(roleStatements(expiring, 'OnImagePush'), 'ecr:BatchDeleteImage');

    // Assess: `apps/**/pr` also matches `apps/pr`, which one IAM pattern cannot say.
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['ecr:BatchDeleteImage'], Resource: ['previews/*', 'apps/pr', 'apps/*/pr', 'scratch-*'].map(repositoryArn) },
    ]);
    // The deletion cap concurrent pushes share lives in the state table.
    expect(onStateTable(roleStatements(expiring, 'OnImagePush'))).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: [{ 'Fn::GetAtt': ['StateTable', 'Arn'] }] },
    ]);
    expect(expiring.template.Resources.OnImagePushLambdaFunction?.Properties.Environment.Variables.STATE_TABLE_NAME).toEqual({ Ref: 'StateTable' });
  });

  it('gives verifyLab iam:SimulatePrincipalPolicy only on verify.nodeRoleArn, and none when it is unset (shipped, and with only expireOnPush classes added)', () => {
    expect(granting(roleStatements(dev, 'VerifyLab'), 'iam:SimulatePrincipalPolicy')).toEqual([]);
    expect(granting(roleStatements(expiring, 'VerifyLab'), 'iam:SimulatePrincipalPolicy')).toEqual([]);
    expect(granting(roleStatements(simulating, 'VerifyLab'), 'iam:SimulatePrincipalPolicy')).toEqual([
      { Effect: 'Allow', Action: ['iam:SimulatePrincipalPolicy'], Resource: CONFIGURED.nodeRoleArn },
    ]);
  });

  it('holds every registry-wide statement (Resource "*") to the stack\'s region', () => {
    for (const packaged of [dev, local, expiring, simulating]) {
      // Act
      const registryWide = allRoleStatements(packaged).filter((statement) => [statement.Resource].flat().includes('*'));

      // Assess: inspector2, GetAuthorizationToken, the registry-level reads and the pull-through cache rules.
      expect(registryWide.length).toBeGreaterThanOrEqual(6);
      for (const statement of registryWide) expect(statement.Condition, JSON.stringify(statement.Action)).toEqual({ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } });
    }
  });
});

describe('the packaged CloudFormation template', () => {
  it('packages one zip per function', () => {
    // Assess
    for (const name of ['onImagePush', 'onImageScan', 'notifySlack']) expect(existsSync(join(dev.dir, `${name}.zip`))).toBe(true);
  });

  it('packages each bundle with its source map and runs it with --enable-source-maps', () => {
    // Act
    const listing = execFileSync('unzip', ['-Z1', join(dev.dir, 'onImagePush.zip')], { encoding: 'utf8' }).split('\n');

    // Assess
    expect(listing).toEqual(expect.arrayContaining([expect.stringMatching(/onImagePush\.mjs$/), expect.stringMatching(/onImagePush\.mjs\.map$/)]));
    for (const fn of allFunctions(dev)) expect(resource(`${fn}LambdaFunction`).Properties.Environment.Variables.NODE_OPTIONS, fn).toBe('--enable-source-maps');
  });

  it('gives every function its own role and keeps no shared IamRoleLambdaExecution', () => {
    // Act
    const roles = resourcesOfType(dev, 'AWS::IAM::Role').map(([name]) => name).sort();
    const functions = allFunctions(dev);

    // Assess
    expect(dev.template.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(functions).toEqual(expect.arrayContaining([...FUNCTIONS]));
    // Besides one role per function, only the fleet's state machines and its schedules have roles (tested below).
    const notFunctions = ['FleetMirrorStateMachineRole', 'FleetScheduleRole', 'FleetSweepStateMachineRole'];
    expect(roles).toEqual([...functions.map((fn) => `${fn}IamRoleLambdaExecution`), ...notFunctions].sort());
    for (const fn of functions) expect(resource(`${fn}LambdaFunction`).Properties.Role).toEqual({ 'Fn::GetAtt': [`${fn}IamRoleLambdaExecution`, 'Arn'] });
  });

  it('grants no wildcard action anywhere (no "*", no "service:*")', () => {
    // Act
    const actions = allowedActions(dev.template.Resources);

    // Assess
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((action) => action === '*' || action.endsWith(':*') || action.includes('*'))).toEqual([]);
  });

  it('scopes every ECR action of the push and scan functions to repository ARNs', () => {
    // Act
    const ecrStatements = FUNCTIONS.flatMap(statementsOf).filter((statement) => actionsOf(statement).some((action) => action.startsWith('ecr:')));

    // Assess
    expect(ecrStatements.length).toBeGreaterThanOrEqual(2);
    for (const statement of ecrStatements) {
      expect(statement.Resource).not.toBe('*');
      expect(JSON.stringify(statement.Resource)).toMatch(/:ecr:\$\{AWS::Region\}:\$\{AWS::AccountId\}:repository\//);
    }
  });

  it('grants each function only the actions it calls', () => {
    // Prepare: what each function needs, and what it may have besides (a later issue's feature).
    const idempotency = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
    const governance = ['ecr:DescribeRepositories', 'ecr:GetLifecyclePolicy', 'ecr:PutLifecyclePolicy', 'ecr:PutImageScanningConfiguration', 'ecr:PutImageTagMutability'];
    const expected = {
      OnImagePush: { needs: [...governance, 'ecr:DescribeImages', 'ecr:BatchGetImage', 'sns:Publish', 'sqs:SendMessage', ...idempotency], mayAlso: [] },
      OnImageScan: { needs: ['ecr:DescribeImageScanFindings', 'ecr:DescribeImages', 'ecr:BatchGetImage', 'inspector2:ListFindings', 'events:PutEvents', 'sns:Publish', 'sqs:SendMessage', ...idempotency], mayAlso: [] },
      NotifySlack: { needs: ['secretsmanager:GetSecretValue', 'sqs:SendMessage', ...idempotency], mayAlso: [] },
    };

    for (const fn of FUNCTIONS) {
      // Act
      const granted = statementsOf(fn).flatMap(actionsOf).filter((action: string) => !action.startsWith('logs:'));

      // Assess
      expect(granted).toEqual(expect.arrayContaining(expected[fn].needs));
      expect(granted.filter((action: string) => ![...expected[fn].needs, ...expected[fn].mayAlso].includes(action))).toEqual([]);
    }
  });

  it('scopes sns:Publish to the notification topic, PutEvents to the bus and the secret to its ARN', () => {
    // Act
    const find = (fn: (typeof FUNCTIONS)[number], action: string) => statementsOf(fn).find((statement) => actionsOf(statement).includes(action));

    // Assess
    for (const fn of ['OnImagePush', 'OnImageScan'] as const) expect(find(fn, 'sns:Publish')?.Resource).toEqual({ Ref: 'NotificationTopic' });
    expect(JSON.stringify(find('OnImageScan', 'events:PutEvents')?.Resource)).toContain(':event-bus/default');
    expect(JSON.stringify(find('NotifySlack', 'secretsmanager:GetSecretValue')?.Resource)).toContain(':secret:ecr-autopilot/slack-webhook-??????');
    for (const fn of FUNCTIONS) {
      expect(find(fn, 'dynamodb:PutItem')?.Resource).toEqual({ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] });
      expect(find(fn, 'sqs:SendMessage')?.Resource).toEqual({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] });
    }
  });

  it('runs every function on nodejs22.x and arm64', () => {
    expect(resourcesOfType(dev, 'AWS::Lambda::Function').length).toBeGreaterThanOrEqual(FUNCTIONS.length);
    for (const [, fn] of resourcesOfType(dev, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  it('ends the functions that publish through repeat windows within a claim\'s lease, so a claim whose lease ran out has no live claimer', () => {
    for (const name of ['OnImagePushLambdaFunction', 'OnPullThroughCacheLambdaFunction']) {
      expect(dev.template.Resources[name]?.Properties.Timeout).toBeLessThanOrEqual(CLAIM_LEASE_SECONDS);
    }
  });

  it('routes successful ECR pushes to onImagePush, with the DLQ on the target', () => {
    // Act
    const rules = rulesTargeting('OnImagePush');

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0].EventPattern).toEqual({ source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] } });
    expect(rules[0].Targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
    expect(rules[0].Targets[0].RetryPolicy).toMatchObject({ MaximumRetryAttempts: 3 });
  });

  it('routes ECR Image Scan and the Inspector2 Scan events of ECR images only to onImageScan, with the DLQ on each target', () => {
    // Act
    const rules = rulesTargeting('OnImageScan');

    // Assess
    expect(rules.map((rule) => rule.EventPattern)).toEqual(
      expect.arrayContaining([
        { source: ['aws.ecr'], 'detail-type': ['ECR Image Scan'] },
        // Inspector2 also scans EC2 instances, Lambda functions and AMIs: those carry no repository-name.
        { source: ['aws.inspector2'], 'detail-type': ['Inspector2 Scan'], detail: { 'repository-name': [{ wildcard: 'arn:*:ecr:*:repository/*' }] } },
      ]),
    );
    expect(rules).toHaveLength(2);
    for (const rule of rules) expect(rule.Targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
  });

  it('sends failed asynchronous invocations of every event-triggered function to the DLQ', () => {
    // Act
    const triggered = eventTriggered(dev);

    // Assess
    expect(triggered).toEqual(expect.arrayContaining([...FUNCTIONS]));
    for (const fn of triggered) {
      const config = resource(`${fn}LambdaEvConf`).Properties;
      expect(config.FunctionName).toEqual({ Ref: `${fn}LambdaFunction` });
      expect(config.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] });
    }
    for (const fn of FUNCTIONS) expect(resource(`${fn}LambdaEvConf`).Properties.MaximumRetryAttempts).toBe(2);
  });

  it('creates the SNS topic, the SQS dead-letter queue and the DynamoDB idempotency table', () => {
    // Assess
    expect(resource('NotificationTopic').Type).toBe('AWS::SNS::Topic');
    expect(resource('DeadLetterQueue').Type).toBe('AWS::SQS::Queue');
    expect(resource('DeadLetterQueue').Properties.MessageRetentionPeriod).toBe(1209600);
    const table = resource('IdempotencyTable');
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
  });

  it('creates the state table with its contract: pk/sk strings, TTL expiresAt, on-demand, encrypted, recoverable', () => {
    // Act
    const table = resource('StateTable');

    // Assess
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('gives sweepLifecycle the state table (STATE_TABLE_NAME) and exactly the actions it uses on it, on that table only', () => {
    // Act
    const sweep = resource('SweepLifecycleLambdaFunction');
    const statements = resource('SweepLifecycleIamRoleLambdaExecution').Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);
    const onStateTable = statements.filter((statement: Json) => JSON.stringify(statement.Resource).includes('StateTable'));

    // Assess
    expect(sweep.Properties.Environment.Variables.STATE_TABLE_NAME).toEqual({ Ref: 'StateTable' });
    expect(onStateTable).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: { 'Fn::GetAtt': ['StateTable', 'Arn'] } }]);
    const withState = resourcesOfType(dev, 'AWS::IAM::Role').filter(([, role]) => JSON.stringify(role.Properties).includes('StateTable')).map(([name]) => name);
    // onPullThroughCache also keeps state (the repeat windows of its notices): test/unit/pull-through-cache/ptcStack.test.ts;
    // onImagePush only with expireOnPush classes (below).
    expect(withState.sort()).toEqual(['OnPullThroughCacheIamRoleLambdaExecution', 'SweepFleetBatchIamRoleLambdaExecution', 'SweepLifecycleIamRoleLambdaExecution']);
  });

  it('gives sweepFleetBatch the state table for the run\'s shared deletion cap: conditional UpdateItem only, no read', () => {
    // Act
    const batch = resource('SweepFleetBatchLambdaFunction');
    const statements = resource('SweepFleetBatchIamRoleLambdaExecution').Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);
    const onStateTable = statements.filter((statement: Json) => JSON.stringify(statement.Resource).includes('StateTable'));

    // Assess
    expect(batch.Properties.Environment.Variables.STATE_TABLE_NAME).toEqual({ Ref: 'StateTable' });
    expect(onStateTable).toEqual([{ Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': ['StateTable', 'Arn'] } }]);
  });

  it('lets only this stack\'s rules send to the DLQ', () => {
    // Act
    const statement = resource('DeadLetterQueuePolicy').Properties.PolicyDocument.Statement[0];

    // Assess
    expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' });
    expect(JSON.stringify(statement.Condition)).toContain(':rule/ecr-autopilot-dev-*');
  });

  it('subscribes notifySlack to the notification topic', () => {
    // Act
    const subscriptions = resourcesOfType(dev, 'AWS::SNS::Subscription').map(([, subscription]) => subscription.Properties);
    const permission = resourcesOfType(dev, 'AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .find((p) => p.Principal === 'sns.amazonaws.com');

    // Assess
    expect(subscriptions).toContainEqual({ TopicArn: { Ref: 'NotificationTopic' }, Protocol: 'lambda', Endpoint: { 'Fn::GetAtt': ['NotifySlackLambdaFunction', 'Arn'] } });
    expect(permission?.FunctionName).toEqual({ 'Fn::GetAtt': ['NotifySlackLambdaFunction', 'Arn'] });
  });

  it('passes the topic, table and bus to the functions, and the secret id to notifySlack', () => {
    // Assess
    for (const fn of FUNCTIONS) {
      expect(resource(`${fn}LambdaFunction`).Properties.Environment.Variables).toMatchObject({
        NOTIFICATION_TOPIC_ARN: { Ref: 'NotificationTopic' },
        IDEMPOTENCY_TABLE_NAME: { Ref: 'IdempotencyTable' },
        EVENT_BUS_NAME: 'default',
      });
    }
    expect(resource('NotifySlackLambdaFunction').Properties.Environment.Variables.SLACK_WEBHOOK_SECRET_ID).toBe('ecr-autopilot/slack-webhook');
  });
});

describe('the fleet (Step Functions Distributed Map)', () => {
  const MACHINES = [
    { resource: 'FleetSweepStateMachine', job: 'sweep', batch: 'SweepFleetBatch', prefix: 'runs/sweep/*' },
    { resource: 'FleetMirrorStateMachine', job: 'mirror', batch: 'MirrorFleetBatch', prefix: 'runs/mirror/*' },
  ] as const;
  const roleStatements = (role: string): Json[] => resource(role).Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);

  it.each(MACHINES)('deploys the $job state machine: valid ASL, a Distributed Map configured from infra/autopilot.yml', ({ resource: name, job, batch }) => {
    // Prepare
    const plan = planFleet(loadConfig().config.fleet, job);

    // Act
    const machine = resource(name).Properties;
    const map = machine.Definition.States.Batches;

    // Assess
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(aslValidator(machine.Definition)).toMatchObject({ isValid: true, errors: [] });
    expect(map).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: '${FleetBucket}' } },
      ItemBatcher: { MaxItemsPerBatch: plan.maxItemsPerBatch },
      MaxConcurrency: plan.maxConcurrency,
      ToleratedFailurePercentage: plan.toleratedFailurePercentage,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: '${FleetBucket}' } },
    });
    expect(machine.DefinitionSubstitutions).toEqual({
      ListFunctionArn: { 'Fn::GetAtt': ['ListFleetWorkLambdaFunction', 'Arn'] },
      BatchFunctionArn: { 'Fn::GetAtt': [`${batch}LambdaFunction`, 'Arn'] },
      AggregateFunctionArn: { 'Fn::GetAtt': ['AggregateFleetRunLambdaFunction', 'Arn'] },
      FleetBucket: { Ref: 'FleetBucket' },
    });
  });

  it.each(MACHINES)('lets the $job state machine invoke only its own functions, start only its own child executions, and touch only its prefix', ({ resource: name, job, batch, prefix }) => {
    // Act
    const statements = roleStatements(`${name}Role`);
    const byAction = (action: string) => statements.filter((statement) => actionsOf(statement).includes(action));

    // Assess
    expect(statements.flatMap(actionsOf).sort()).toEqual(
      ['lambda:InvokeFunction', 'states:StartExecution', 'states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution', 's3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'].sort(),
    );
    expect(byAction('lambda:InvokeFunction')[0].Resource).toEqual([
      { 'Fn::GetAtt': ['ListFleetWorkLambdaFunction', 'Arn'] },
      { 'Fn::GetAtt': [`${batch}LambdaFunction`, 'Arn'] },
      { 'Fn::GetAtt': ['AggregateFleetRunLambdaFunction', 'Arn'] },
    ]);
    expect(byAction('states:StartExecution')[0].Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:ecr-autopilot-dev-fleet-${job}` });
    expect(byAction('states:DescribeExecution')[0].Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:ecr-autopilot-dev-fleet-${job}/*` });
    expect(byAction('s3:GetObject')[0].Resource).toEqual({ 'Fn::Sub': `\${FleetBucket.Arn}/${prefix}` });
    expect(resource(name).Properties.StateMachineName).toBe(`ecr-autopilot-dev-fleet-${job}`);
  });

  it('routes exactly the two state machines\' runs that end FAILED, TIMED_OUT or ABORTED to onFleetRunInterrupted, which may read the runs\' results and publish, nothing else', () => {
    // Act
    const rule = resource('FleetRunInterruptedRule').Properties;
    const permission = resource('FleetRunInterruptedPermission').Properties;
    const statements = roleStatements('OnFleetRunInterruptedIamRoleLambdaExecution').filter((statement) => !actionsOf(statement).some((action) => action.startsWith('logs:')));
    const fn = resource('OnFleetRunInterruptedLambdaFunction').Properties;

    // Assess
    expect(rule).toMatchObject({ Name: 'ecr-autopilot-dev-fleet-run-interrupted', EventBusName: 'default', State: 'ENABLED' });
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: 'FleetSweepStateMachine' }, { Ref: 'FleetMirrorStateMachine' }] },
    });
    expect(rule.Targets).toEqual([
      {
        Id: 'onFleetRunInterrupted',
        Arn: { 'Fn::GetAtt': ['OnFleetRunInterruptedLambdaFunction', 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
      },
    ]);
    expect(permission).toEqual({ Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['OnFleetRunInterruptedLambdaFunction', 'Arn'] }, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': ['FleetRunInterruptedRule', 'Arn'] } });
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: { 'Fn::GetAtt': ['FleetBucket', 'Arn'] }, Condition: { StringLike: { 's3:prefix': 'runs/*' } } },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': '${FleetBucket.Arn}/runs/*' } },
      { Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'NotificationTopic' } },
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] } },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
    ]);
    expect(fn.Environment.Variables).toMatchObject({ FLEET_BUCKET: { Ref: 'FleetBucket' }, STACK_NAME: 'ecr-autopilot-dev' });
    // The state machines' names are what the function recognises (lib/fleet/reportInterruptedFleetRun.ts).
    expect(['FleetSweepStateMachine', 'FleetMirrorStateMachine'].map((name) => resource(name).Properties.StateMachineName)).toEqual(['sweep', 'mirror'].map((job) => fleetStateMachineName('ecr-autopilot-dev', job as 'sweep')));
  });

  it('lets verifyLab read exactly the two state machines and their executions', () => {
    // Act
    const statement = resource('VerifyLabIamRoleLambdaExecution').Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement).find((s: Json) => actionsOf(s).includes('states:ListExecutions'));

    // Assess
    expect(actionsOf(statement)).toEqual(['states:DescribeStateMachine', 'states:ListExecutions']);
    expect(statement.Resource).toEqual(['sweep', 'mirror'].map((job) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:ecr-autopilot-dev-fleet-${job}` })));
  });

  it('keeps items and results in an encrypted, private, TLS-only bucket whose objects expire', () => {
    // Act
    const bucket = resource('FleetBucket').Properties;
    const policy = resource('FleetBucketPolicy').Properties.PolicyDocument.Statement;

    // Assess
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.LifecycleConfiguration.Rules[0]).toMatchObject({ Status: 'Enabled', ExpirationInDays: loadConfig().config.fleet?.retentionDays });
    expect(policy).toEqual([expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
  });

  it('starts the state machines on the daily schedules, with a role that may start only them; sweepLifecycle and mirrorImages keep only manual invokes', () => {
    // Act
    const schedules = ['FleetSweepSchedule', 'FleetMirrorSchedule'].map((name) => resource(name).Properties);
    const startStatements = resource('FleetScheduleRole').Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);

    // Assess
    expect(schedules.map((rule) => [rule.Name, rule.ScheduleExpression, rule.Targets[0].Arn])).toEqual([
      ['ecr-autopilot-dev-fleet-sweep-schedule', 'cron(0 18 * * ? *)', { Ref: 'FleetSweepStateMachine' }],
      ['ecr-autopilot-dev-fleet-mirror-schedule', 'cron(30 18 * * ? *)', { Ref: 'FleetMirrorStateMachine' }],
    ]);
    for (const rule of schedules) expect(rule.Targets[0].DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
    expect(startStatements).toEqual([{ Effect: 'Allow', Action: ['states:StartExecution'], Resource: [{ Ref: 'FleetSweepStateMachine' }, { Ref: 'FleetMirrorStateMachine' }] }]);
    expect(eventTriggered(dev)).not.toContain('SweepLifecycle');
    expect(eventTriggered(dev)).not.toContain('MirrorImages');
    expect(allFunctions(dev)).toEqual(expect.arrayContaining(['SweepLifecycle', 'MirrorImages', 'ListFleetWork', 'SweepFleetBatch', 'MirrorFleetBatch', 'AggregateFleetRun']));
  });
});

describe('the local stage', () => {
  it('packages with literal environment values, for osls invoke local', () => {
    // Act
    const functions = resourcesOfType(local, 'AWS::Lambda::Function');

    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(FUNCTIONS.length);
    for (const [, fn] of functions) {
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      for (const value of Object.values(variables)) expect(typeof value).toBe('string');
      expect(variables.NOTIFICATION_TOPIC_ARN).toBe('arn:aws:sns:ap-northeast-2:000000000000:ecr-autopilot-local-notifications');
      expect(variables.IDEMPOTENCY_TABLE_NAME).toBe('ecr-autopilot-local-idempotency');
      if (variables.STATE_TABLE_NAME !== undefined) expect(variables.STATE_TABLE_NAME).toBe('ecr-autopilot-local-state');
    }
    expect(local.template.Resources.SweepLifecycleLambdaFunction?.Properties.Environment.Variables.STATE_TABLE_NAME).toBe('ecr-autopilot-local-state');
  });

  it('still sends failed invocations to a dead-letter queue', () => {
    // Act
    const configs = eventTriggered(local).map((fn) => local.template.Resources[`${fn}LambdaEvConf`]?.Properties.DestinationConfig?.OnFailure?.Destination);

    // Assess
    expect(configs.length).toBeGreaterThanOrEqual(FUNCTIONS.length);
    // osls takes a CloudFormation function there, so the literal ARN comes wrapped in Fn::Sub.
    expect(configs.map((destination) => destination['Fn::Sub'] ?? destination)).toEqual(configs.map(() => 'arn:aws:sqs:ap-northeast-2:000000000000:ecr-autopilot-local-dlq'));
  });
});
