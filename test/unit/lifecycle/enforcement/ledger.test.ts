import { describe, expect, it } from 'vitest';
import type { RepositoryExpiry } from '../../../../lib/lifecycle/expireRepository';
import { buildLedgerNotices, MAX_LEDGER_IMAGES_PER_NOTICE, type LedgerContext, type RepositoryLifecycleResult } from '../../../../lib/lifecycle/ledger';
import type { KeptImage, PlannedExpiry } from '../../../../lib/lifecycle/planExpiry';
import { LifecycleLedgerNotice } from '../../../../lib/notify/notices';
import { formatBytes, shortDigest } from '../../../../lib/notify/present/format';
import { presentLifecycleLedger } from '../../../../lib/notify/present/presentLifecycleLedger';
import { renderSnsMessage, SNS_MESSAGE_LIMIT_BYTES } from '../../../../lib/notify/render/renderSnsMessage';
import { renderText } from '../../../../lib/notify/render/renderText';
import type { AppliedChange, ItemFailure } from '../../../../lib/plan/types';
import { daysAgo, digestOf, NOW, REGION, UNTAGGED_REASON } from './enforcementFixtures';

const CONTEXT: LedgerContext = {
  trigger: 'sweep',
  dryRun: false,
  repositoriesScanned: 12,
  capReached: false,
  idBase: '5b2d7e4c-0a1f-4c3e-9b8d-6e5f4a3b2c1d',
  occurredAt: NOW.toISOString(),
  origin: { eventId: '5b2d7e4c-0a1f-4c3e-9b8d-6e5f4a3b2c1d', account: '123456789012', region: REGION },
};

/** ECR allows image tags of up to 300 characters. */
const LONGEST_TAG_LENGTH = 300;

function planned(name: string, options: { tags?: string[]; size?: number; pushedDaysAgo?: number; rule?: number; reason?: string } = {}): PlannedExpiry {
  return {
    imageDigest: digestOf(name),
    imageTags: options.tags ?? [],
    imagePushedAt: daysAgo(options.pushedDaysAgo ?? 10),
    imageSizeInBytes: options.size ?? 1_048_576,
    appliedRulePriority: options.rule ?? 1,
    reason: options.reason ?? UNTAGGED_REASON,
  };
}

function manyPlanned(prefix: string, count: number, options: { tags?: (i: number) => string[] } = {}): PlannedExpiry[] {
  return Array.from({ length: count }, (_, i) => planned(`${prefix}-${i}`, { size: 1000 + i, ...(options.tags ? { tags: options.tags(i) } : {}) }));
}

function result(repositoryName: string, expired: PlannedExpiry[], extra: { failures?: ItemFailure[]; kept?: KeptImage[]; governance?: AppliedChange[]; error?: string } = {}): RepositoryLifecycleResult {
  const bytesReclaimed = expired.reduce((sum, image) => sum + (image.imageSizeInBytes ?? 0), 0);
  const expiry: RepositoryExpiry = {
    repositoryName,
    plan: { expire: expired, kept: extra.kept ?? [], transitions: [], bytesReclaimed, deletionOrder: expired.map((image) => image.imageDigest) },
    kept: extra.kept ?? [],
    deletions: [],
    expired,
    failures: extra.failures ?? [],
    bytesReclaimed,
  };
  return { repositoryName, repositoryClass: 'services', governance: extra.governance ?? [], expiry, ...(extra.error ? { error: extra.error } : {}) };
}

const POLICY_FIX: AppliedChange = {
  change: { action: 'ecr:PutLifecyclePolicy', target: 'team-b/svc', reason: 'no lifecycle policy; class services requires lifecycle/services.json' },
  outcome: { status: 'applied' },
};

describe('buildLedgerNotices', () => {
  it('publishes a run that fits as one notice without part numbers', () => {
    // Prepare
    const results = [result('team-a/api', manyPlanned('api', 3))];

    // Act
    const notices = buildLedgerNotices(results, CONTEXT);

    // Assess
    expect(notices).toHaveLength(1);
    expect(notices[0]?.id).toBe(`${CONTEXT.idBase}:lifecycle.ledger`);
    expect(notices[0]?.data.part).toBeUndefined();
    expect(notices[0]?.repository).toBe('team-a/api');
  });

  it(`splits more than ${MAX_LEDGER_IMAGES_PER_NOTICE} images into numbered parts whose images add up to the total, each carrying the totals`, () => {
    // Prepare
    const api = manyPlanned('api', 600);
    const web = manyPlanned('web', 7);
    const results = [result('team-a/api', api), result('team-a/web', web)];

    // Act
    const notices = buildLedgerNotices(results, CONTEXT);

    // Assess
    expect(notices.length).toBeGreaterThanOrEqual(3);
    notices.forEach((notice, i) => {
      expect(notice.data.part).toEqual({ index: i + 1, count: notices.length });
      expect(notice.data.totals).toEqual({ governanceChanges: 0, imagesExpired: 607, bytesReclaimed: 600 * 1000 + (599 * 600) / 2 + 7 * 1000 + 21, failures: 0, keptBySafety: 0, capReached: false });
      expect(notice.data.repositoriesScanned).toBe(12);
      const images = notice.data.repositories.reduce((n, repository) => n + repository.expired.length, 0);
      expect(images).toBeGreaterThan(0);
      expect(images).toBeLessThanOrEqual(MAX_LEDGER_IMAGES_PER_NOTICE);
      expect(notice.repository).toBeUndefined();
    });
    const listed = notices.flatMap((notice) => notice.data.repositories.flatMap((repository) => repository.expired.map((image) => image.imageDigest)));
    expect(listed).toHaveLength(607);
    expect(new Set(listed)).toEqual(new Set([...api, ...web].map((image) => image.imageDigest)));
  });

  it('splits the bytes of a repository across parts so that they add up to what it reclaimed', () => {
    // Prepare
    const api = manyPlanned('api', 600);
    const results = [result('team-a/api', api)];

    // Act
    const notices = buildLedgerNotices(results, CONTEXT);

    // Assess
    const entries = notices.flatMap((notice) => notice.data.repositories);
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) expect(entry.bytesReclaimed).toBe(entry.expired.reduce((sum, image) => sum + (image.sizeInBytes ?? 0), 0));
    expect(entries.reduce((sum, entry) => sum + entry.bytesReclaimed, 0)).toBe(results[0]?.expiry?.bytesReclaimed);
  });

  it('gives every part a stable id of its own', () => {
    // Prepare
    const results = [result('team-a/api', manyPlanned('api', 600))];

    // Act
    const first = buildLedgerNotices(results, CONTEXT).map((notice) => notice.id);
    const again = buildLedgerNotices(results, CONTEXT).map((notice) => notice.id);

    // Assess
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
    expect(first).toEqual(first.map((_, i) => `${CONTEXT.idBase}:lifecycle.ledger:${i + 1}`));
  });

  it('keeps a repository that comes after a full part, with its governance and error, and emits no empty part', () => {
    // Prepare: the first repository fills two parts exactly.
    const results = [
      result('team-a/api', manyPlanned('api', 2 * MAX_LEDGER_IMAGES_PER_NOTICE)),
      { repositoryName: 'team-b/svc', repositoryClass: 'services', governance: [POLICY_FIX], error: 'DescribeImages on repository team-b/svc was denied' },
    ];

    // Act
    const notices = buildLedgerNotices(results, CONTEXT);

    // Assess
    for (const notice of notices) expect(notice.data.repositories.length).toBeGreaterThan(0);
    const svc = notices.flatMap((notice) => notice.data.repositories).filter((repository) => repository.repositoryName === 'team-b/svc');
    expect(svc).toHaveLength(1);
    expect(svc[0]?.governance).toEqual([{ action: 'ecr:PutLifecyclePolicy', target: 'team-b/svc', reason: POLICY_FIX.change.reason, status: 'applied' }]);
    expect(svc[0]?.error).toBe('DescribeImages on repository team-b/svc was denied');
    expect(notices[0]?.data.totals).toMatchObject({ governanceChanges: 1, failures: 1, imagesExpired: 500 });
  });

  it('lists every per-image failure exactly once, across parts when there are many', () => {
    // Prepare
    const failures: ItemFailure[] = Array.from({ length: 400 }, (_, i) => ({
      item: digestOf(`failed-${i}`),
      code: i % 2 === 0 ? 'KmsError' : 'ImageReferencedByManifestList',
      reason: 'The KMS key used to encrypt the image is disabled or pending deletion; enable the key and try again',
      expected: i % 2 === 1,
    }));
    const results = [result('team-a/api', manyPlanned('api', 10), { failures })];

    // Act
    const notices = buildLedgerNotices(results, CONTEXT);

    // Assess
    const listed = notices.flatMap((notice) => notice.data.repositories.flatMap((repository) => repository.failures.map((failure) => failure.item)));
    expect(listed.sort()).toEqual(failures.map((failure) => failure.item).sort());
    for (const notice of notices) expect(notice.data.totals.failures).toBe(200);
  });

  describe('every part fits in one SNS message', () => {
    it.each(['amazon-q', 'notice'] as const)('with %s for https subscribers and 600 images carrying long tags', (httpsFormat) => {
      // Prepare
      const tags = (i: number) => [`${'a'.repeat(LONGEST_TAG_LENGTH - 6)}-${String(i).padStart(5, '0')}`, `${'b'.repeat(LONGEST_TAG_LENGTH - 6)}-${String(i).padStart(5, '0')}`, `v${i}`];
      const results = [result('team-a/api', manyPlanned('api', 600, { tags })), result('team-a/web', manyPlanned('web', 30, { tags }))];

      // Act
      const notices = buildLedgerNotices(results, CONTEXT);

      // Assess
      expect(notices.length).toBeGreaterThan(1);
      for (const notice of notices) {
        const message = renderSnsMessage(notice, { httpsFormat });
        expect(Buffer.byteLength(message.Message, 'utf8')).toBeLessThan(SNS_MESSAGE_LIMIT_BYTES);
        // The readable text is never cut to fit: the part's last image is still listed.
        const last = notice.data.repositories.at(-1)?.expired.at(-1);
        expect((JSON.parse(message.Message) as { default: string }).default).toContain(shortDigest(last?.imageDigest ?? ''));
        expect(LifecycleLedgerNotice.safeParse(JSON.parse((JSON.parse(message.Message) as { lambda: string }).lambda)).success).toBe(true);
      }
    });

    it('with hundreds of per-image failures and long reasons', () => {
      // Prepare
      const failures: ItemFailure[] = Array.from({ length: 1500 }, (_, i) => ({ item: digestOf(`failed-${i}`), code: 'KmsError', reason: 'x'.repeat(400) }));
      const results = [result('team-a/api', manyPlanned('api', 5), { failures })];

      // Act
      const notices = buildLedgerNotices(results, CONTEXT);

      // Assess
      for (const notice of notices) expect(Buffer.byteLength(renderSnsMessage(notice, { httpsFormat: 'notice' }).Message, 'utf8')).toBeLessThan(SNS_MESSAGE_LIMIT_BYTES);
    });
  });
});

describe('presentLifecycleLedger', () => {
  const expired = [
    planned('api-old', { tags: [], size: 47_185_920, pushedDaysAgo: 66, rule: 2, reason: 'rule 2: untagged images pushed more than 7 days ago' }),
    planned('api-v1', { tags: ['v1.0.0', 'stable'], size: 1536, pushedDaysAgo: 40, rule: 3, reason: 'rule 3: more than 100 images' }),
    planned('api-v0', { tags: ['v0.9.0'], size: 5_000_000_000, pushedDaysAgo: 90, rule: 3, reason: 'rule 3: more than 100 images' }),
  ];
  const kept: KeptImage[] = [{ imageDigest: digestOf('release'), imageTags: ['release-1'], reason: 'protected-tag', detail: 'tag "release-1" matches protected pattern "release-*"' }];
  const failures: ItemFailure[] = [
    { item: digestOf('child'), code: 'ImageReferencedByManifestList', reason: 'Requested image is referenced by a manifest list', expected: true },
    { item: digestOf('kms'), code: 'KmsError', reason: 'KMS key is disabled', expected: false },
  ];

  function text(dryRun: boolean): string {
    const [notice] = buildLedgerNotices([result('team-a/api', expired, { kept, failures })], { ...CONTEXT, dryRun });
    if (!notice) throw new Error('no notice');
    return renderText(presentLifecycleLedger(notice));
  }

  it('lists every expired image with its tags, digest, size, push date, rule and reason', () => {
    // Act
    const lines = text(false).split('\n');

    // Assess
    for (const image of expired) {
      const line = lines.find((candidate) => candidate.includes(shortDigest(image.imageDigest)));
      expect(line).toBeDefined();
      expect(line).toContain(image.imageTags.length > 0 ? image.imageTags.join(', ') : '(untagged)');
      expect(line).toContain(formatBytes(image.imageSizeInBytes ?? 0));
      expect(line).toContain(`pushed ${image.imagePushedAt.toISOString().slice(0, 10)}`);
      expect(line).toContain(`rule ${image.appliedRulePriority}: `);
      expect(line).toContain(image.reason);
    }
    expect(lines.find((line) => line.includes(shortDigest(digestOf('api-v0'))))).toContain('4.7 GB');
  });

  it('says what was expired, the bytes reclaimed, what was kept and every failure, expected or not', () => {
    // Act
    const rendered = text(false);

    // Assess
    expect(rendered.split('\n')[0]).toBe(
      `Lifecycle sweep over 12 repositories: 3 images expired (${formatBytes(47_185_920 + 1536 + 5_000_000_000)} reclaimed), 0 repository settings fixed, 1 kept by the safety rules, 1 failure.`,
    );
    expect(rendered).toContain('team-a/api (class services): 3 expired');
    expect(rendered).toContain(`${shortDigest(digestOf('release'))} kept (protected-tag): tag "release-1" matches protected pattern "release-*"`);
    expect(rendered).toContain(`${shortDigest(digestOf('child'))} not deleted (expected): ImageReferencedByManifestList Requested image is referenced by a manifest list`);
    expect(rendered).toContain(`${shortDigest(digestOf('kms'))} FAILED: KmsError KMS key is disabled`);
    expect(rendered).not.toContain('would expire');
  });

  it('says "would expire" in a dry run', () => {
    // Act
    const rendered = text(true);

    // Assess
    expect(rendered.split('\n')[0]).toMatch(/^Lifecycle sweep \(plan\) over 12 repositories: 3 images would expire \(/);
    expect(rendered).toContain('team-a/api (class services): 3 would expire');
    expect(rendered).toContain('Would expire:');
    expect(rendered).not.toMatch(/\bexpired\b/);
  });
});
