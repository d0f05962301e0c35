import * as z from 'zod/mini';

/**
 * The event SNS delivers to a subscribed Lambda function. With `MessageStructure: json`, the
 * `Message` a Lambda subscriber receives is the value of the `lambda` key (or `default`).
 */
const SnsMessageAttribute = z.looseObject({ Type: z.string(), Value: z.string() });

export const SnsRecord = z.looseObject({
  EventSource: z.literal('aws:sns'),
  EventVersion: z.optional(z.string()),
  EventSubscriptionArn: z.optional(z.string()),
  Sns: z.looseObject({
    Type: z.optional(z.string()),
    MessageId: z.string().check(z.minLength(1)),
    TopicArn: z.string().check(z.minLength(1)),
    Subject: z.optional(z.nullable(z.string())),
    Message: z.string(),
    Timestamp: z.optional(z.string()),
    MessageAttributes: z.optional(z.record(z.string(), SnsMessageAttribute)),
  }),
});

export const SnsEvent = z.object({ Records: z.array(SnsRecord).check(z.minLength(1)) });
export type SnsEvent = z.output<typeof SnsEvent>;
export type SnsRecord = z.output<typeof SnsRecord>;
