import { describe, expect, it } from 'vitest';
import { SnapshotRegistry } from '../../../lib/ecr/SnapshotRegistry';
import { parseEvent } from '../../../lib/events/parseEvent';
import type { PublishNoticeChange } from '../../../lib/notify/changes';
import type { Notice } from '../../../lib/notify/notices';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { renderSlackMessage } from '../../../lib/notify/render/renderSlackMessage';
import { renderSnsMessage } from '../../../lib/notify/render/renderSnsMessage';
import { renderText } from '../../../lib/notify/render/renderText';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import { handlePullThroughCacheEvent, PullThroughCacheEvent } from '../../../lib/pull-through-cache/onPullThroughCache';
import { SnapshotPtcReader } from '../../../lib/pull-through-cache/SnapshotPtcReader';
import { syncPullThroughCache } from '../../../lib/pull-through-cache/syncPullThroughCache';
import type { PtcDeps } from '../../../lib/pull-through-cache/types';
import { loadEvent } from '../../support/events';
import { NOW, ptcConfig, TOPIC_ARN } from './ptcFixtures';

const SNAPSHOT = new URL('../../../events/registry-snapshot.json', import.meta.url).pathname;

/** The notice a sample event produces in plan mode against the sample snapshot. */
async function noticeOf(sample: string | 'sync'): Promise<Notice> {
  const writer = new PlanningWriter();
  const deps: PtcDeps = {
    config: ptcConfig(),
    ptc: new SnapshotPtcReader(SnapshotRegistry.fromFile(SNAPSHOT).snapshot),
    writer,
    topicArn: TOPIC_ARN,
    clock: () => NOW,
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  if (sample === 'sync') await syncPullThroughCache.run({}, deps);
  else await handlePullThroughCacheEvent(parseEvent(PullThroughCacheEvent, loadEvent(sample), 'event'), deps);
  const publish = writer.changes.find((change): change is PublishNoticeChange => change.action === 'sns:Publish');
  if (!publish) throw new Error(`${sample} published nothing`);
  return publish.notice;
}

describe('pull-through cache notices', () => {
  it('ptc.created leads with the exact pull command', async () => {
    // Act
    const text = renderText(presentNotice(await noticeOf('cloudtrail/batch-get-image-repository-not-found')));

    // Assess
    expect(text.split('\n')[0]).toMatch(/^A pull of docker-hub\/library\/alpine failed because no pull-through cache rule matched/);
    expect(text).toContain('Pull again: docker pull 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/docker-hub/library/alpine:3.20');
    expect(text).toContain('Rule:       docker-hub/ → registry-1.docker.io');
  });

  it('ptc.failure gives the likely cause, the fix and the commands', async () => {
    // Act
    const doc = presentNotice(await noticeOf('ptc-action/sync-failed'));
    const text = renderText(doc);

    // Assess
    expect(doc.subject).toBe('Pull-through cache sync of github/fluxcd/flux-cli:v2.4.0 failed: GitHub Container Registry rejected the credentials');
    expect(text).toContain('Likely cause: The user name or access token in ecr-pullthroughcache/github is wrong, expired or revoked');
    expect(text).toContain("  - aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache/github --region ap-northeast-2 --secret-string '{\"username\":\"<GitHub user name>\"");
  });

  it('ptc.sync is one summary: problems with commands, changes, every rule', async () => {
    // Act
    const text = renderText(presentNotice(await noticeOf('sync')));

    // Assess
    expect(text.split('\n')[0]).toBe(
      'Pull-through cache sync: 1 of 5 declared rules in sync, 4 changes, 1 on demand, 1 unmanaged, 2 problems. First: github: its credential secret ecr-pullthroughcache/github does not exist in ap-northeast-2.',
    );
    expect(text).toContain('Problems:');
    expect(text).toContain('aws secretsmanager create-secret --name ecr-pullthroughcache/github');
    expect(text).toContain('  - old-cache unmanaged · public.ecr.aws · credential none · template none');
  });

  it.each(['cloudtrail/batch-get-image-repository-not-found', 'ptc-action/sync-failed', 'sync'])('renders %s for SNS (with its kind attribute) and Slack', async (sample) => {
    // Prepare
    const notice = await noticeOf(sample);

    // Act
    const sns = renderSnsMessage(notice, { httpsFormat: 'amazon-q' });
    const slack = renderSlackMessage(presentNotice(notice));

    // Assess
    expect(sns.MessageAttributes.kind?.StringValue).toBe(notice.kind);
    expect(JSON.parse(JSON.parse(sns.Message).lambda as string)).toEqual(notice);
    expect(slack.blocks.length).toBeGreaterThan(0);
  });
});
