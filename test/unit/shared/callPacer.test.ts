import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { hasErrorCode } from '../../../lib/errors';
import { CallPacer } from '../../../lib/shared/callPacer';
import { VirtualClock } from '../../support/virtualClock';

/** Start times of `count` paced calls made back to back by `callers` concurrent callers. */
async function startTimes(pacer: CallPacer, clock: VirtualClock, count: number, callers = 1): Promise<number[]> {
  const times: number[] = [];
  await clock.run(async () => {
    let left = count;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (left-- > 0) {
          await pacer.take();
          times.push(clock.now());
        }
      }),
    );
  });
  return times;
}

describe('CallPacer', () => {
  it('spaces calls one interval apart, the first one included, whoever calls', async () => {
    // Prepare
    const clock = new VirtualClock();

    // Act
    const times = await startTimes(new CallPacer(5, clock), clock, 6, 3);

    // Assess
    expect(times).toEqual([200, 400, 600, 800, 1000, 1200]);
  });

  it('keeps a pacer that takes over from another one interval after its last call', async () => {
    // Prepare: a batch's pacer made its last call at 1000 ms and ended; the next batch starts at once.
    const clock = new VirtualClock();
    const first = await startTimes(new CallPacer(5, clock), clock, 5);

    // Act
    const second = await startTimes(new CallPacer(5, clock), clock, 1);

    // Assess
    expect((second[0] as number) - (first.at(-1) as number)).toBe(200);
  });

  it('halves its rate when throttled, down to an eighth, and creeps back after successful calls', () => {
    // Prepare
    const pacer = new CallPacer(8, new VirtualClock());

    // Act
    pacer.throttled();
    const halved = pacer.currentCallsPerSecond();
    for (let i = 0; i < 5; i += 1) pacer.throttled();
    const floor = pacer.currentCallsPerSecond();
    for (let i = 0; i < 200; i += 1) pacer.succeeded();

    // Assess
    expect(halved).toBe(4);
    expect(floor).toBe(1);
    expect(pacer.currentCallsPerSecond()).toBe(8);
  });

  it('gives up waiting, and makes no call, when the signal fires', async () => {
    // Prepare: the first call waits one interval (a second here) on the real clock.
    const pacer = new CallPacer(1);
    const controller = new AbortController();

    // Act
    const waiting = pacer.take(controller.signal);
    controller.abort();

    // Assess
    await expect(waiting).rejects.toSatisfy((error: unknown) => hasErrorCode(error, 'ABORTED'));
  });

  it('slows the registry that uses it when ECR throttles a paced call', async () => {
    // Prepare: a client that throttles the first call (only virtual timers run inside the clock).
    const sent: string[] = [];
    const client = {
      send: async (command: DescribeImagesCommand) => {
        sent.push(command.constructor.name);
        if (sent.length === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        return { imageDetails: [] };
      },
    };
    const clock = new VirtualClock();
    const pacer = new CallPacer(10, clock);
    const registry = new EcrRegistry({ client: client as unknown as ECRClient, region: 'ap-northeast-2', pacer, retry: { sleep: (ms) => clock.sleep(ms), now: () => clock.now() } });

    // Act
    await clock.run(async () => {
      for await (const _ of registry.listImages('team-a/api')) void _;
    });

    // Assess: throttled once (halved to 5/s), then one success on the way back.
    expect(sent).toEqual(['DescribeImagesCommand', 'DescribeImagesCommand']);
    expect(pacer.currentCallsPerSecond()).toBeCloseTo(5.25, 5);
  });
});
