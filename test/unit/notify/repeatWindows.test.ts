import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { publishNotice, type PublishNoticeChange } from '../../../lib/notify/changes';
import { Notice, type PtcFailureNotice } from '../../../lib/notify/notices';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { CLAIM_LEASE_SECONDS, REPEAT_WINDOW_SECONDS, withRepeatWindows, type NoticeRepeat } from '../../../lib/notify/repeatWindows';
import type { Change, ChangeOutcome, ChangeWriter } from '../../../lib/plan/types';
import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import type { StateStore } from '../../../lib/state/StateStore';

const TOPIC = 'arn:aws:sns:ap-northeast-2:123456789012:ecr-autopilot-dev-notifications';
const START = Date.parse('2026-11-20T09:00:00.000Z');
const SECRET_MISSING: NoticeRepeat = { scope: 'docker-hub', cause: 'SECRET_MISSING', windowSeconds: REPEAT_WINDOW_SECONDS };

/** The auto-create failure of one failed pull (event `eventId`). */
function failure(eventId: string, prefix = 'docker-hub'): PtcFailureNotice {
  return Notice.parse({
    id: `${eventId}:ptc.failure`,
    kind: 'ptc.failure',
    severity: 'critical',
    repository: `${prefix}/library/alpine`,
    occurredAt: '2026-11-20T09:00:00Z',
    origin: { eventId, account: '123456789012', region: 'ap-northeast-2' },
    data: {
      source: 'auto-create',
      prefix,
      repositoryName: `${prefix}/library/alpine`,
      failureCode: 'SECRET_MISSING',
      guidance: { code: 'SECRET_MISSING', category: 'credentials', title: 'The credential secret is missing', likelyCause: 'No secret.', fix: 'Create it.', commands: [] },
    },
  }) as PtcFailureNotice;
}

/**
 * A publisher that records what it published; `fail` makes the next publishes fail, and `'die'`
 * stands for a process that dies while publishing: the call never returns and nothing after it runs.
 */
class RecordingPublisher implements ChangeWriter<Change> {
  readonly published: Notice[] = [];
  fail: 'outcome' | 'throw' | 'die' | undefined;
  /** Resolves when a publish reached the publisher (the window was claimed). */
  reached: Promise<void> = Promise.resolve();
  private onReached: () => void = () => undefined;

  /** The next publish dies; `reached` resolves when it is attempted. */
  dieOnNext(): void {
    this.fail = 'die';
    this.reached = new Promise((resolve) => {
      this.onReached = resolve;
    });
  }

  async apply(change: Change): Promise<ChangeOutcome> {
    if (this.fail === 'die') {
      this.onReached();
      return new Promise<ChangeOutcome>(() => undefined);
    }
    if (this.fail === 'throw') throw new AutopilotError('NOTIFY_FAILED', 'SNS said no', { retryable: true });
    if (this.fail === 'outcome') return { status: 'failed', message: 'SNS said no' };
    this.published.push((change as PublishNoticeChange).notice);
    return { status: 'applied', message: `message ${this.published.length}` };
  }
}

function setup(state: StateStore = new MemoryStateStore({ now: () => clock.now })) {
  const publisher = new RecordingPublisher();
  const writer = withRepeatWindows(publisher, { state, clock: () => new Date(clock.now) });
  const send = (notice: Notice, repeat: NoticeRepeat | null = SECRET_MISSING) => writer.apply(publishNotice(TOPIC, notice, 'pull-through cache failure', repeat ?? undefined), {});
  return { publisher, send };
}

const clock = { now: START };

/** A storm told once (a0 published, a1 suppressed); then b0 claims the next window and dies while publishing. */
async function claimerDies() {
  clock.now = START;
  const harness = setup();
  await harness.send(failure('a0'));
  clock.now = START + 60_000;
  await harness.send(failure('a1'));
  clock.now = START + 3600_000;
  harness.publisher.dieOnNext();
  void harness.send(failure('b0'));
  await harness.publisher.reached;
  harness.publisher.fail = undefined;
  return harness;
}

describe('withRepeatWindows', () => {
  it('publishes the first of a storm, suppresses the repeats of the hour, and the next one after it carries their count', async () => {
    // Prepare
    clock.now = START;
    const { publisher, send } = setup();

    // Act: one failed pull a minute for an hour and a half.
    const outcomes: ChangeOutcome[] = [];
    for (let minute = 0; minute < 90; minute += 1) {
      clock.now = START + minute * 60_000;
      outcomes.push(await send(failure(`pull-${minute}`)));
    }

    // Assess: minute 0 and minute 60 published; 59 suppressed in between, then 29 more.
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['pull-0', 'pull-60']);
    expect(publisher.published[0]?.repeats).toBeUndefined();
    expect(publisher.published[1]?.repeats).toEqual({ suppressed: 59, since: '2026-11-20T09:00:00.000Z', windowSeconds: 3600 });
    expect(outcomes[1]).toEqual({
      status: 'applied',
      message: 'suppressed: a ptc.failure notice for docker-hub (SECRET_MISSING) was published at 2026-11-20T09:00:00.000Z; 1 repeat(s) suppressed since, told with the next one',
      data: { suppressed: true },
    });
    expect(outcomes[89]?.message).toContain('was published at 2026-11-20T10:00:00.000Z; 29 repeat(s) suppressed since');
  });

  it('keeps separate windows per scope and per cause', async () => {
    // Prepare
    clock.now = START;
    const { publisher, send } = setup();

    // Act
    await send(failure('a'));
    await send(failure('b', 'github'), { ...SECRET_MISSING, scope: 'github' });
    await send(failure('c'), { ...SECRET_MISSING, cause: 'QUOTA_EXCEEDED' });
    await send(failure('d'));

    // Assess
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['a', 'b', 'c']);
  });

  it('lets a redelivery of the published event through to the publisher (its idempotency), without counting it', async () => {
    // Prepare
    clock.now = START;
    const { publisher, send } = setup();
    await send(failure('first'));

    // Act
    await send(failure('first'));
    clock.now = START + 2 * 3600_000;
    await send(failure('later'));

    // Assess
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['first', 'first', 'later']);
    expect(publisher.published[2]?.repeats).toBeUndefined();
  });

  it.each(['outcome', 'throw'] as const)('publishes the next repeat, with every count, when the window\'s notice failed to publish (%s)', async (how) => {
    // Prepare: a storm told once, then a new window whose notice fails.
    clock.now = START;
    const { publisher, send } = setup();
    await send(failure('p0'));
    clock.now = START + 60_000;
    await send(failure('p1'));
    clock.now = START + 3600_000;
    publisher.fail = how;
    if (how === 'throw') await expect(send(failure('p2'))).rejects.toMatchObject({ code: 'NOTIFY_FAILED' });
    else expect((await send(failure('p2'))).status).toBe('failed');

    // Act
    publisher.fail = undefined;
    clock.now = START + 3600_000 + 60_000;
    await send(failure('p3'));

    // Assess: p3 is not suppressed, and tells p1 (from the first window).
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['p0', 'p3']);
    expect(publisher.published[1]?.repeats).toEqual({ suppressed: 1, since: '2026-11-20T09:00:00.000Z', windowSeconds: 3600 });
  });

  it('loses no notice to a claimer that dies between claim and publish: after its lease the next repeat publishes, telling the dead one and every count', async () => {
    // Prepare: a storm told once (a0, a1 suppressed); the next window's claimer (b0) dies mid-publish.
    const { publisher, send } = await claimerDies();

    // Act: a repeat while the claim's lease runs is counted; the one after the lease publishes.
    clock.now = START + 3600_000 + (CLAIM_LEASE_SECONDS - 1) * 1000;
    const during = await send(failure('b1'));
    clock.now = START + 3600_000 + CLAIM_LEASE_SECONDS * 1000;
    const after = await send(failure('b2'));

    // Assess
    expect(during).toMatchObject({ data: { suppressed: true }, message: expect.stringContaining('(SECRET_MISSING) is being published since 2026-11-20T10:00:00.000Z; 1 repeat(s) suppressed since') });
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['a0', 'b2']);
    // a1 (first window), b0 (never published) and b1 (suppressed behind b0's claim).
    expect(publisher.published[1]?.repeats).toEqual({ suppressed: 3, since: '2026-11-20T09:00:00.000Z', windowSeconds: 3600 });
    expect(after.message).toBe('message 2 (took over the repeat window of b0:ptc.failure, whose publish never confirmed (claimed at 2026-11-20T10:00:00.000Z))');

    // The new window stands: the next repeat is suppressed again.
    clock.now += 60_000;
    expect((await send(failure('b3'))).data?.suppressed).toBe(true);
    expect(publisher.published).toHaveLength(2);
  });

  it('publishes the redelivery of a dead claimer\'s own event with what its claim was to tell, then confirms the window', async () => {
    // Prepare
    const { publisher, send } = await claimerDies();

    // Act: Lambda retries the failed invocation with the same event.
    clock.now = START + 3600_000 + 70_000;
    await send(failure('b0'));
    clock.now += 60_000;
    const repeat = await send(failure('b1'));

    // Assess
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['a0', 'b0']);
    expect(publisher.published[1]?.repeats).toEqual({ suppressed: 1, since: '2026-11-20T09:00:00.000Z', windowSeconds: 3600 });
    expect(repeat.data?.suppressed).toBe(true);
  });

  it('sends nothing more to the state table once a publish was cancelled by the stop; the retry of the same event publishes it with the count it was to tell', async () => {
    // Prepare: a storm told once, then a new window whose notice is cancelled in flight.
    clock.now = START;
    const inner = new MemoryStateStore({ now: () => clock.now });
    let stateCalls = 0;
    // Every call of the state store counted, whichever method.
    const counting = new Proxy(inner, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          stateCalls += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as StateStore;
    const { publisher, send } = setup(counting);
    await send(failure('p0'));
    clock.now = START + 60_000;
    await send(failure('p1'));
    clock.now = START + 3600_000;
    const stop = new AbortController();
    let callsAtStop = -1;
    const cancelled = withRepeatWindows(
      {
        apply: async (): Promise<ChangeOutcome> => {
          stop.abort(new AutopilotError('ABORTED', 'the time budget ran out'));
          callsAtStop = stateCalls;
          throw new AutopilotError('ABORTED', 'Publishing was cancelled');
        },
      },
      { state: counting, clock: () => new Date(clock.now) },
    );

    // Act
    const attempt = cancelled.apply(publishNotice(TOPIC, failure('p2'), 'pull-through cache failure', SECRET_MISSING), { signal: stop.signal });
    await expect(attempt).rejects.toMatchObject({ code: 'ABORTED' });
    const callsAfterStop = stateCalls;
    clock.now = START + 3600_000 + 30_000;
    await send(failure('p2'));

    // Assess
    expect(callsAtStop).toBeGreaterThan(0);
    expect(callsAfterStop).toBe(callsAtStop);
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['p0', 'p2']);
    expect(publisher.published[1]?.repeats).toEqual({ suppressed: 1, since: '2026-11-20T09:00:00.000Z', windowSeconds: 3600 });
  });

  it('publishes exactly one of a burst of concurrent repeats and counts the others', async () => {
    // Prepare
    clock.now = START;
    const { publisher, send } = setup();

    // Act
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => send(failure(`burst-${i}`))));
    clock.now = START + 3600_000;
    await send(failure('after'));

    // Assess
    expect(publisher.published).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.data?.suppressed === true)).toHaveLength(7);
    expect(publisher.published[1]?.repeats?.suppressed).toBe(7);
  });

  it('never loses a notice to the state table: it publishes without storm control and says why', async () => {
    // Prepare
    clock.now = START;
    const denied: StateStore = {
      get: async () => {
        throw new AutopilotError('ACCESS_DENIED', 'dynamodb:GetItem on the state table was denied');
      },
      put: async () => {
        throw new Error('not reached');
      },
      delete: async () => undefined,
      reserve: async () => {
        throw new Error('not reached');
      },
      release: async () => {
        throw new Error('not reached');
      },
    };
    const { publisher, send } = setup(denied);

    // Act
    const outcomes = [await send(failure('x')), await send(failure('y'))];

    // Assess
    expect(publisher.published).toHaveLength(2);
    expect(outcomes[0]?.message).toBe('message 1 (no storm control: dynamodb:GetItem on the state table was denied)');
  });

  it('passes notices without repeat, and other changes, straight through', async () => {
    // Prepare
    clock.now = START;
    const { publisher, send } = setup();

    // Act
    await send(failure('a'), null);
    await send(failure('b'), null);
    const other = await withRepeatWindows<Change>({ apply: async (change) => ({ status: 'applied', message: change.action }) }, { state: new MemoryStateStore(), clock: () => new Date(clock.now) }).apply(
      { action: 'ecr:BatchDeleteImage', target: 'team-a/api', reason: 'expire' },
      {},
    );

    // Assess
    expect(publisher.published.map((notice) => notice.origin.eventId)).toEqual(['a', 'b']);
    expect(other).toEqual({ status: 'applied', message: 'ecr:BatchDeleteImage' });
  });

  it('says in the message how many similar notices it stands for', () => {
    // Act
    const document = presentNotice({ ...failure('x'), repeats: { suppressed: 41, since: '2026-11-20T09:00:00.000Z', windowSeconds: 3600 } });

    // Assess
    expect(document.headline).toMatch(/ 41 similar notices suppressed since 2026-11-20T09:00:00.000Z \(one per hour\)\.$/);
    expect(document.facts).toContainEqual({ label: 'Repeats', value: '41 similar notices suppressed since 2026-11-20T09:00:00.000Z (one per hour)' });
  });
});
