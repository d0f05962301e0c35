import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../lib/config/loadConfig';
import { ECR_IMAGE_API_RATE_QUOTAS, ECR_IMAGE_APIS } from '../../../lib/ecr/imageApiQuotas';
import { DEFAULT_FLEET_SETTINGS, FLEET_SHARE_OF_IMAGE_API_QUOTAS, planFleet } from '../../../lib/fleet/planFleet';
import { fleetStateMachineDefinition } from '../../../lib/fleet/stateMachineDefinition';

type Json = any;

const BASE = `version: 1
repositoryClasses:
  - { name: services, repositories: ["**"] }
`;

describe('planFleet', () => {
  it.each([
    // budget, expected concurrency, expected per-batch rate
    [20, 4, 5],
    [7, 1, 7],
    [2, 1, 2],
    [100, 20, 5],
    [1000, 40, 25],
  ])('spreads a budget of %d ECR calls/s over %d batches at %d calls/s each, never more than the budget', (budget, concurrency, rate) => {
    // Act
    const plan = planFleet({ ...DEFAULT_FLEET_SETTINGS, ecrCallsPerSecond: budget }, 'sweep');

    // Assess
    expect(plan.maxConcurrency).toBe(concurrency);
    expect(plan.callsPerSecondPerBatch).toBe(rate);
    expect(plan.maxConcurrency * plan.callsPerSecondPerBatch).toBeLessThanOrEqual(budget);
  });

  it.each([1, 7, 20, 100, 1000])('keeps the mirror batches of a %d calls/s budget together under half of ECR\'s documented rate for every image action', (budget) => {
    // Act
    const plan = planFleet({ ...DEFAULT_FLEET_SETTINGS, ecrCallsPerSecond: budget }, 'mirror');

    // Assess
    for (const api of ECR_IMAGE_APIS) {
      const fleetRate = plan.maxConcurrency * (plan.imageApiCallsPerSecondPerBatch?.[api] ?? Number.POSITIVE_INFINITY);
      expect(fleetRate).toBeCloseTo(ECR_IMAGE_API_RATE_QUOTAS[api] * FLEET_SHARE_OF_IMAGE_API_QUOTAS, 9);
      expect(fleetRate).toBeLessThan(ECR_IMAGE_API_RATE_QUOTAS[api]);
    }
    expect(planFleet({ ...DEFAULT_FLEET_SETTINGS, ecrCallsPerSecond: budget }, 'sweep').imageApiCallsPerSecondPerBatch).toBeUndefined();
  });

  it('paces the shipped mirror at 1.25 PutImage/s per batch: 4 batches, 5 of ECR\'s 10/s', () => {
    // Act
    const plan = planFleet(DEFAULT_FLEET_SETTINGS, 'mirror');

    // Assess
    expect(plan.maxConcurrency).toBe(4);
    expect(plan.imageApiCallsPerSecondPerBatch).toEqual({ BatchCheckLayerAvailability: 125, BatchGetImage: 250, CompleteLayerUpload: 12.5, GetDownloadUrlForLayer: 375, InitiateLayerUpload: 12.5, PutImage: 1.25, UploadLayerPart: 62.5 });
  });

  it('rejects a mirror batch size whose pushes would not fit at its share of ECR\'s PutImage rate, naming the action', () => {
    // Act: 40 batches share 5 PutImage/s; 100 images of 5 manifests each need 4,000 s.
    const result = readConfig(`${BASE}fleet: { ecrCallsPerSecond: 1000, imagesPerBatch: 100 }\n`, '/tmp/autopilot.yml');

    // Assess
    expect(!result.ok && result.issues).toEqual([
      {
        path: 'fleet.imagesPerBatch',
        message: "100 per batch at 0.13 PutImage calls/s (its share of ECR's 10/s) would take about 4000 s, over 80% of the batch function's 900 s timeout",
        fix: 'set fleet.imagesPerBatch to 18 or less',
      },
    ]);
  });

  it('documents its defaults in the schema: a configuration without `fleet` gets them', () => {
    // Act
    const result = readConfig(BASE, '/tmp/autopilot.yml');

    // Assess
    expect(result.ok && result.config.fleet).toEqual({ ecrCallsPerSecond: 20, repositoriesPerBatch: 50, imagesPerBatch: 2, toleratedFailurePercentage: 5, retentionDays: 7 });
  });

  it('rejects a batch size that would not fit 80 % of the batch timeout at its paced rate, naming the size that does', () => {
    // Act
    const result = readConfig(`${BASE}fleet: { ecrCallsPerSecond: 20, repositoriesPerBatch: 1000 }\n`, '/tmp/autopilot.yml');

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([
      { path: 'fleet.repositoriesPerBatch', message: expect.stringMatching(/1000 per batch at 5 ECR calls\/s would take about 800 s, over 80% of the batch function's 900 s timeout/), fix: 'set fleet.repositoriesPerBatch to 900 or less' },
    ]);
  });

  it('rejects an unknown key and a non-positive budget with the field named', () => {
    // Act
    const result = readConfig(`${BASE}fleet: { ecrCallsPerSecond: 0, batchSize: 3 }\n`, '/tmp/autopilot.yml');

    // Assess
    expect(result.ok).toBe(false);
    const paths = !result.ok ? result.issues.map((issue) => issue.path) : [];
    expect(paths).toEqual(expect.arrayContaining(['fleet.ecrCallsPerSecond', 'fleet.batchSize']));
  });
});

describe('fleetStateMachineDefinition', () => {
  it.each(['sweep', 'mirror'] as const)('is valid Amazon States Language for the %s job', (job) => {
    // Act
    const result = aslValidator(fleetStateMachineDefinition(planFleet(DEFAULT_FLEET_SETTINGS, job)));

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('configures the Distributed Map from the plan: S3 items in, batches, concurrency, tolerance, S3 results out', () => {
    // Prepare
    const plan = planFleet({ ...DEFAULT_FLEET_SETTINGS, ecrCallsPerSecond: 60, repositoriesPerBatch: 25, toleratedFailurePercentage: 10 }, 'sweep');

    // Act
    const map: Json = fleetStateMachineDefinition(plan).States;

    // Assess
    expect(Object.keys(map)).toEqual(['List', 'Batches', 'Aggregate']);
    expect(map.Batches).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: '${FleetBucket}' } },
      ItemBatcher: { MaxItemsPerBatch: 25 },
      MaxConcurrency: 12,
      ToleratedFailurePercentage: 10,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: '${FleetBucket}' } },
      Next: 'Aggregate',
    });
    // No Catch on the Map: above the tolerance the execution fails there, so a redrive reruns its failed batches.
    expect(map.Batches.Catch).toBeUndefined();
    expect(map.Batches.ItemProcessor.States.Batch.Parameters.FunctionName).toBe('${BatchFunctionArn}');
  });

  it('is rejected by the validator when a state is malformed (the check can fail)', () => {
    // Prepare
    const definition: Json = fleetStateMachineDefinition(planFleet(DEFAULT_FLEET_SETTINGS, 'sweep'));
    definition.States.Batches.ItemBatcher.MaxItemsPerBatch = 'fifty';

    // Act
    const result = aslValidator(definition);

    // Assess
    expect(result.isValid).toBe(false);
  });
});
