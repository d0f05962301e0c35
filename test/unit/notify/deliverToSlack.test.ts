import { describe, expect, it } from 'vitest';
import { EventValidationError } from '../../../lib/errors';
import { SnsEvent, parseEvent } from '../../../lib/events';
import { deliverToSlack, type PostSlackMessageChange } from '../../../lib/notify/deliverToSlack';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import { loadEvent, SAMPLE_EVENTS, snsEvent, type EventJson } from '../../support/events';
import { scanNotice } from '../../support/notices';

async function deliver(raw: EventJson): Promise<{ writer: PlanningWriter; report: Awaited<ReturnType<typeof deliverToSlack>> }> {
  const writer = new PlanningWriter();
  const report = await deliverToSlack(parseEvent(SnsEvent, raw, 'SNS event'), { writer });
  return { writer, report };
}

async function rejection(raw: EventJson): Promise<EventValidationError> {
  try {
    await deliver(raw);
  } catch (error) {
    if (error instanceof EventValidationError) return error;
    throw error;
  }
  throw new Error('the delivery was accepted');
}

describe('deliverToSlack', () => {
  it('renders the notice of the sample SNS event as one Slack post keyed by the notice id', async () => {
    // Act
    const { writer, report } = await deliver(loadEvent(SAMPLE_EVENTS.snsPushSummary));

    // Assess
    expect(writer.changes).toHaveLength(1);
    const change = writer.changes[0] as PostSlackMessageChange;
    expect(change).toMatchObject({ action: 'slack:PostMessage', target: 'webhook', noticeId: '4f1a3c1e-7b9d-4b8e-9d2a-6a0f3e2b1c55:push.summary', reason: 'Pushed team-a/web:v2.0.0 (2 platforms)' });
    expect(change.message.blocks[0]?.text?.text).toBe(':white_check_mark: Pushed team-a/web:v2.0.0 (2 platforms)');
    expect(report).toMatchObject({ function: 'notifySlack', eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e', outcome: 'done' });
  });

  it('posts one message per record', async () => {
    // Prepare
    const raw = snsEvent(scanNotice());
    raw.Records.push({ ...structuredClone(raw.Records[0]), Sns: { ...raw.Records[0].Sns, MessageId: 'second', Message: JSON.stringify(scanNotice({}, { id: 'other:scan.summary' })) } });

    // Act
    const { writer } = await deliver(raw);

    // Assess
    expect(writer.changes.map((change) => (change as PostSlackMessageChange).noticeId)).toEqual(['85fc3613-e913-7fc4-a80c-a3753e4aa9ae:scan.summary', 'other:scan.summary']);
  });

  it('rejects a message that is not JSON, naming the record and the fix', async () => {
    // Act
    const error = await rejection(snsEvent('Pushed team-a/web:v2.0.0', { messageId: 'm-1' }));

    // Assess
    expect(error.eventId).toBe('m-1');
    expect(error.issues).toEqual([{ path: 'Records[0].Sns.Message', message: 'is not JSON', fix: expect.stringContaining('protocol lambda') }]);
  });

  it('rejects a message that is not a notice, naming the field inside the message', async () => {
    // Prepare
    const notice: EventJson = scanNotice();
    notice.data.verdict = 'MAYBE';
    delete notice.id;

    // Act
    const error = await rejection(snsEvent(notice));

    // Assess
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['Records[0].Sns.Message.data.verdict', 'Records[0].Sns.Message.id']);
  });

  it('rejects the whole event, posting nothing, when any record is malformed', async () => {
    // Prepare
    const raw = snsEvent(scanNotice());
    raw.Records.push({ ...structuredClone(raw.Records[0]), Sns: { ...raw.Records[0].Sns, MessageId: 'bad', Message: '{"kind":"push.summary"}' } });
    const writer = new PlanningWriter();

    // Act
    const failure = deliverToSlack(parseEvent(SnsEvent, raw, 'SNS event'), { writer });

    // Assess
    await expect(failure).rejects.toBeInstanceOf(EventValidationError);
    expect(writer.changes).toEqual([]);
  });
});
