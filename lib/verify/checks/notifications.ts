import type { CheckResult, LabCheck } from '../types';

const SECTION = 'Notifications' as const;

/**
 * The notification topic exists and someone receives it: at least one confirmed subscription, and
 * notifySlack subscribed. (The test message itself is published by verifyLab, not by a check.)
 */
export const notificationTopicCheck: LabCheck = {
  id: 'notifications',
  section: SECTION,
  async run(context) {
    const base = { section: SECTION } as const;
    const topic = await context.stack.topic(context.topicArn, { signal: context.signal });
    if (!topic) {
      return [{ ...base, id: 'topic', title: 'Notification topic', status: 'fail', expected: `topic ${context.topicArn}`, found: 'no such topic', fix: 'redeploy the stack (npx osls deploy) or set NOTIFICATION_TOPIC_ARN' }];
    }
    const confirmed = topic.subscriptions.filter((subscription) => subscription.confirmed);
    const pending = topic.subscriptions.filter((subscription) => !subscription.confirmed);
    const slack = topic.subscriptions.find((subscription) => subscription.protocol === 'lambda' && subscription.endpoint.includes(`:function:${context.stackName}-notifySlack`));
    const results: CheckResult[] = [
      confirmed.length > 0
        ? {
            ...base,
            id: 'subscriptions',
            title: 'Topic subscriptions',
            status: pending.length > 0 ? 'warn' : 'pass',
            expected: 'at least one confirmed subscription',
            found: `${confirmed.length} confirmed (${[...new Set(confirmed.map((s) => s.protocol))].join(', ')})${pending.length > 0 ? `, ${pending.length} pending confirmation` : ''}`,
            ...(pending.length > 0 ? { fix: `confirm the pending subscription(s): ${pending.map((s) => s.endpoint).join(', ')}` } : {}),
          }
        : {
            ...base,
            id: 'subscriptions',
            title: 'Topic subscriptions',
            status: 'fail',
            expected: 'at least one confirmed subscription',
            found: pending.length > 0 ? `${pending.length} pending confirmation, none confirmed` : 'no subscriptions',
            fix: `aws sns subscribe --topic-arn ${context.topicArn} --protocol email --notification-endpoint you@example.com (then confirm the email)`,
          },
      slack
        ? { ...base, id: 'slack', title: 'Slack delivery (notifySlack)', status: 'pass', expected: 'notifySlack subscribed', found: 'subscribed (protocol lambda)' }
        : { ...base, id: 'slack', title: 'Slack delivery (notifySlack)', status: 'warn', expected: 'notifySlack subscribed', found: 'not subscribed', fix: 'redeploy the stack: npx osls deploy' },
    ];
    return results;
  },
};
