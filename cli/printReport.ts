import type { Notice } from '../lib/notify/notices';
import { presentNotice } from '../lib/notify/present/presentNotice';
import { renderText } from '../lib/notify/render/renderText';
import { renderSlackMessage, type SlackMessage } from '../lib/notify/render/renderSlackMessage';
import type { FunctionReport } from '../lib/runtime/types';
import type { CommandIo } from './io';

/** A change's outcome in brackets: `[failed]` red, `[applied]` green, others plain. */
function paintStatus(io: CommandIo, status: string): string {
  const text = `[${status}]`;
  if (status === 'failed') return io.paint('fail', text);
  if (status === 'applied') return io.paint('pass', text);
  return text;
}

/** The Block Kit JSON, unwrapped so it can be pasted as it is into Slack's Block Kit Builder. */
function printSlackPayload(io: CommandIo, message: SlackMessage, what: string): void {
  io.out(`  Slack Block Kit payload, ${what} (paste into https://app.slack.com/block-kit-builder):`);
  for (const line of JSON.stringify(message, null, 2).split('\n')) io.out(`    ${line}`);
}

/**
 * A function report for people: the decision, the plan (or what was done), and every notification
 * rendered as its readers will see it.
 */
export function printReport(io: CommandIo, report: FunctionReport, options: { mode: 'live' | 'plan'; slackPayloadsTo?: CommandIo }): void {
  io.out(`  decision: ${report.decision}`);
  if (report.changes.length === 0) {
    io.out(`  ${options.mode === 'plan' ? 'plan' : 'changes'}: nothing to change`);
  } else {
    io.out(`  ${options.mode === 'plan' ? 'plan' : 'changes'}:`);
    for (const { change, outcome } of report.changes) {
      io.out(`    ${paintStatus(io, outcome.status)} ${change.action} ${change.target}`);
      io.out(`        ${change.reason}${outcome.message ? ` (${outcome.message})` : ''}`);
      for (const failure of outcome.failures ?? []) io.out(`        ${failure.expected ? 'skipped' : 'failed'}: ${failure.item} ${failure.code}: ${failure.reason}`);
    }
  }
  for (const { change } of report.changes) {
    const notice = (change as { notice?: Notice }).notice;
    if (notice) {
      io.out(`  notification${options.mode === 'plan' ? ' it would publish' : ''} (email / SNS default):`);
      for (const line of renderText(presentNotice(notice)).split('\n')) io.out(`    | ${line}`);
      if (options.slackPayloadsTo) printSlackPayload(options.slackPayloadsTo, renderSlackMessage(presentNotice(notice)), 'as notifySlack would post it');
    }
    const message = (change as { message?: SlackMessage }).message;
    if (message && change.action === 'slack:PostMessage') {
      io.out(`  Slack message${options.mode === 'plan' ? ' it would post' : ''} (${message.blocks.length} blocks), fallback text:`);
      io.out(`    | ${message.text}`);
      if (options.slackPayloadsTo) printSlackPayload(options.slackPayloadsTo, message, 'the message itself');
    }
  }
}
