import { describe, expect, it } from 'vitest';
import { EventValidationError } from '../../../lib/errors';
import { EcrImageActionEvent, SnsEvent, eventIdOf, parseEvent } from '../../../lib/events';
import { loadEvent, SAMPLE_EVENTS } from '../../support/events';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('parseEvent', () => {
  it('returns the typed event when it matches', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.pushIndex);

    // Act
    const event = parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event');

    // Assess
    expect(event.detail['manifest-media-type']).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('carries the EventBridge event id in the error and its message', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.pushTagged);
    raw.detail['image-digest'] = 'md5:0123456789abcdef';

    // Act
    const error = thrownBy(() => parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event'));

    // Assess
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).eventId).toBe('13cde686-328b-6117-af20-0e5566167482');
    expect((error as EventValidationError).message).toMatch(/^Invalid ECR Image Action event \(event id 13cde686-328b-6117-af20-0e5566167482\): detail\.image-digest: /);
    expect((error as EventValidationError).source).toBe('user');
  });

  it('carries the MessageId of the first SNS record as the event id', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.snsPushSummary);
    delete raw.Records[0].Sns.TopicArn;

    // Act
    const error = thrownBy(() => parseEvent(SnsEvent, raw, 'SNS event'));

    // Assess
    expect((error as EventValidationError).eventId).toBe('95df01b4-ee98-5cb9-9903-4c221d41eb5e');
  });

  it.each([
    ['null', null],
    ['a string', 'event'],
    ['an array', [1, 2]],
    ['an object without id', { detail: {} }],
    ['an empty id', { id: '' }],
    ['SNS records without a MessageId', { Records: [{ Sns: {} }] }],
  ])('has no event id for %s', (_what, raw) => {
    // Act
    const error = thrownBy(() => parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event'));

    // Assess
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).eventId).toBeUndefined();
    expect(eventIdOf(raw)).toBeUndefined();
  });

  it('lists the first five issues and counts the rest', () => {
    // Prepare
    const raw = { id: 'x-1', detail: {} };

    // Act
    const error = thrownBy(() => parseEvent(EcrImageActionEvent, raw, 'event')) as EventValidationError;

    // Assess
    expect(error.issues.length).toBeGreaterThan(5);
    expect(error.message).toContain(`(and ${error.issues.length - 5} more)`);
  });
});
