import { describe, expect, it } from 'vitest';
import type { MessageDocument } from '../../../lib/notify/document';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { escapeSlackText, slackLink } from '../../../lib/notify/render/escapeSlackText';
import { renderSlackMessage, SLACK_LIMITS, type SlackMessage } from '../../../lib/notify/render/renderSlackMessage';
import { pushNotice, scanNotice } from '../../support/notices';

/** Every mrkdwn text of a message (sections, fields, context), which Slack interprets. */
function mrkdwnTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) => [
    ...(block.text?.type === 'mrkdwn' ? [block.text.text] : []),
    ...(block.fields ?? []).map((field) => field.text),
    ...(block.elements ?? []).map((element) => element.text),
  ]);
}

/** The control sequences left once the legitimate http(s) links are removed. */
function controlSequences(text: string): string[] {
  return text.replace(/<https?:\/\/[^<>|\s]+\|[^<>]*>/g, '').match(/[<>]/g) ?? [];
}

/** A document far beyond every Block Kit limit. */
function hugeDocument(): MessageDocument {
  return {
    subject: `FAIL ${'team-a/api:'.repeat(30)}`,
    headline: 'h'.repeat(10_000),
    severity: 'critical',
    facts: Array.from({ length: 25 }, (_, i) => ({ label: `Fact ${i}`, value: 'v'.repeat(5000), code: i % 2 === 0 })),
    sections: Array.from({ length: 80 }, (_, i) => ({
      title: `Section ${i}`,
      items: Array.from({ length: 200 }, (_, j) => ({ label: `CVE-2024-${j}`, url: `https://nvd.nist.gov/vuln/detail/CVE-2024-${j}`, text: `HIGH package-${j} ${'x'.repeat(80)}` })),
      omitted: 5,
    })),
    links: [{ label: 'Open', url: 'https://console.aws.amazon.com/ecr' }],
    footer: 'notice n · event e · ap-northeast-2',
    threadKey: 'team-a/api@sha256:x',
  };
}

describe('renderSlackMessage', () => {
  it('stays within every Block Kit limit for an oversized document', () => {
    // Act
    const message = renderSlackMessage(hugeDocument());

    // Assess
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(message.blocks.length).toBeGreaterThan(40);
    const header = message.blocks.find((block) => block.type === 'header');
    expect(header?.text?.type).toBe('plain_text');
    expect(header?.text?.text.length).toBeLessThanOrEqual(150);
    for (const block of message.blocks) {
      if (block.type === 'section' && block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(10);
      for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
      expect(block.elements?.length ?? 0).toBeLessThanOrEqual(10);
    }
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  });

  it('cuts a long list to fit one section and says how many more there are', () => {
    // Act
    const message = renderSlackMessage(hugeDocument());

    // Assess
    const section = message.blocks.find((block) => block.text?.text.startsWith('*Section 0*'));
    const shown = (section?.text?.text.match(/^• /gm) ?? []).length;
    expect(shown).toBeGreaterThan(5);
    expect(section?.text?.text).toMatch(new RegExp(`_… and ${200 - shown + 5} more_$`));
  });

  it('keeps the links, divider and footer even when sections are cut', () => {
    // Act
    const message = renderSlackMessage(hugeDocument());

    // Assess
    expect(message.blocks.slice(-3).map((block) => block.type)).toEqual(['section', 'divider', 'context']);
    expect(message.blocks.at(-3)?.text?.text).toBe('<https://console.aws.amazon.com/ecr|Open>');
  });

  it('renders a header with the verdict and its reason, the headline, facts as fields, lists, links and a footer', () => {
    // Act
    const message = renderSlackMessage(presentNotice(scanNotice()));

    // Assess
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'section', 'section', 'section', 'divider', 'context']);
    expect(message.blocks[0]?.text).toEqual({ type: 'plain_text', text: ':rotating_light: FAIL team-a/api:v1.4.0: 1 CRITICAL > 0 allowed (1 new, 1 fixed)', emoji: true });
    expect(message.blocks[2]?.fields?.[0]).toEqual({ type: 'mrkdwn', text: '*Verdict*\nFAIL', verbatim: true });
    expect(message.blocks[3]?.text?.text).toBe(
      '*Top findings*\n• <https://nvd.nist.gov/vuln/detail/CVE-2024-6387|CVE-2024-6387> CRITICAL (new) openssh-client 1:9.2p1-2+deb12u2 → fixed in 1:9.2p1-2+deb12u3\n• <https://nvd.nist.gov/vuln/detail/CVE-2023-44487|CVE-2023-44487> HIGH libnghttp2-14 1.52.0-1+deb12u1 (no fix yet)',
    );
    expect(message.blocks[4]?.text?.text).toMatch(/^\*Fixed since the previous image\*/);
  });

  it('uses the headline alone as the fallback text: it stands on its own, and the subject would repeat it', () => {
    const message = renderSlackMessage(presentNotice(scanNotice()));

    expect(message.text).toBe('Scan of team-a/api:v1.4.0 found 2 findings (1 CRITICAL, 1 HIGH) (1 new, 1 fixed). Verdict FAIL: 1 CRITICAL &gt; 0 allowed.');
  });

  it('lists a new finding once: marked among the top findings, not again under "New"', () => {
    const message = renderSlackMessage(presentNotice(scanNotice()));

    const texts = message.blocks.map((block) => block.text?.text ?? '').join('\n');
    expect(texts.split('CVE-2024-6387|CVE-2024-6387').length - 1).toBe(1);
    expect(texts).not.toContain('New since the previous image');
  });

  it('shortens digests in the two-column fields', () => {
    const message = renderSlackMessage(presentNotice(scanNotice()));

    const digest = message.blocks[2]?.fields?.find((field) => field.text.startsWith('*Digest*'));
    expect(digest?.text).toBe('*Digest*\n`sha256:1d6c9ebad60d`');
  });

  it('formats the fix commands as code', () => {
    // Prepare: what a verify item and a pull-through cache failure say
    const message = renderSlackMessage({
      subject: 'Lab check failed',
      headline: 'The lab is not complete.',
      severity: 'warning',
      facts: [],
      sections: [
        {
          title: 'Fixes',
          items: [
            { label: 'Rule k8s', text: 'expected the rule exists; found no rule. Fix: ecr-autopilot ptc sync' },
            { label: 'Topic', text: 'expected a subscription; found none. Fix: aws sns subscribe --topic-arn arn:aws:sns:eu-west-1:123456789012:t --protocol email (then confirm the email)' },
            { label: 'Mirror', text: 'expected the image; found none. Fix: run mirrorImages (ecr-autopilot mirror --source quay.io/a)' },
            { text: 'aws ecr validate-pull-through-cache-rule --ecr-repository-prefix github' },
            { label: 'Prose', text: 'the aws account has no docker images' },
          ],
        },
      ],
      links: [],
      footer: 'notice x',
      threadKey: 'x',
    });

    // Assess
    expect(message.blocks[2]?.text?.text.split('\n').slice(1)).toEqual([
      '• *Rule k8s* expected the rule exists; found no rule. Fix: `ecr-autopilot ptc sync`',
      '• *Topic* expected a subscription; found none. Fix: `aws sns subscribe --topic-arn arn:aws:sns:eu-west-1:123456789012:t --protocol email` (then confirm the email)',
      '• *Mirror* expected the image; found none. Fix: run mirrorImages (`ecr-autopilot mirror --source quay.io/a`)',
      '• `aws ecr validate-pull-through-cache-rule --ecr-repository-prefix github`',
      '• *Prose* the aws account has no docker images',
    ]);
  });

  it('keeps a command whole in its code span when it has quoted arguments with <, > or parentheses', () => {
    // Prepare: what a pull-through cache failure tells to run (a placeholder in angle brackets)
    const command = `aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache/github --secret-string '{"username":"<GitHub user name>","accessToken":"<token (classic) with read:packages>"}'`;
    const message = renderSlackMessage({
      subject: 'Pull-through cache failure',
      headline: 'Sync failed.',
      severity: 'warning',
      facts: [],
      sections: [{ title: 'Commands', items: [{ text: command }, { label: 'Secret', text: 'the secret is wrong. Fix: aws ecr validate-pull-through-cache-rule --ecr-repository-prefix "a (b)"; then pull again' }] }],
      links: [],
      footer: 'notice x',
      threadKey: 'x',
    });

    // Assess: one code span per command, everything in it escaped once
    expect(message.blocks[2]?.text?.text.split('\n').slice(1)).toEqual([
      `• \`${escapeSlackText(command)}\``,
      '• *Secret* the secret is wrong. Fix: `aws ecr validate-pull-through-cache-rule --ecr-repository-prefix "a (b)"`; then pull again',
    ]);
  });

  it('says how many more repositories a ledger has when Slack cannot show them all', () => {
    // Prepare: a ledger over more repositories than a message has blocks
    const sections = Array.from({ length: 60 }, (_, index) => ({ title: `team-${index}/api`, items: [{ text: 'expired 1 image' }] }));

    // Act
    const message = renderSlackMessage({ subject: 'Lifecycle sweep', headline: 'Swept.', severity: 'info', facts: [], sections, links: [], footer: 'notice x', threadKey: 'x', sectionNoun: 'repository' });

    // Assess
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const shown = message.blocks.filter((block) => block.text?.text.startsWith('*team-')).length;
    expect(message.blocks.at(-3)?.text?.text).toBe(`_… and ${60 - shown} more repositories: the email and the notice JSON list them all_`);
  });

  it('escapes &, < and > from untrusted text, so a tag cannot ping the channel', () => {
    // Prepare
    const notice = pushNotice({ tags: ['<!channel> & <https://evil.example|click>'], repositoryClass: 'a>b' });

    // Act
    const message = renderSlackMessage(presentNotice(notice));

    // Assess
    const texts = mrkdwnTexts(message);
    expect(texts.join('\n')).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    for (const text of texts) expect(controlSequences(text)).toEqual([]);
    expect(message.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(controlSequences(message.text)).toEqual([]);
    // The header is plain_text, which Slack never parses for mentions or links.
    expect(message.blocks[0]?.text?.type).toBe('plain_text');
  });

  it('neutralises plain @channel, @here and @everyone and marks every mrkdwn text verbatim, so a tag cannot ping anyone', () => {
    // Prepare
    const notice = pushNotice({ tags: ['@channel', 'v1-@HERE-now', 'x@everyone'], repositoryClass: '@here' });

    // Act
    const message = renderSlackMessage(presentNotice(notice));

    // Assess
    const mrkdwn = message.blocks.flatMap((block) => [...(block.text?.type === 'mrkdwn' ? [block.text] : []), ...(block.fields ?? []), ...(block.elements ?? [])]);
    expect(mrkdwn.length).toBeGreaterThan(3);
    for (const text of mrkdwn) expect(text.verbatim).toBe(true);
    const everything = [message.text, ...mrkdwn.map((text) => text.text)].join('\n');
    expect(everything).not.toMatch(/@(channel|here|everyone)\b/i);
    expect(everything).toContain('@\u200Bchannel');
    expect(everything).toContain('v1-@\u200BHERE-now');
  });

  it('never makes a link of a URL that is not http(s)', () => {
    // Prepare
    const notice = scanNotice({
      topFindings: [{ id: 'CVE-2024-0001', severity: 'HIGH', uri: 'javascript:alert(1)' }],
      consoleUrl: 'slack://open?team=T0',
    });

    // Act
    const message = renderSlackMessage(presentNotice(notice));

    // Assess
    const all = mrkdwnTexts(message).join('\n');
    expect(all).not.toMatch(/<javascript:|<slack:/);
    expect(all).toContain('• CVE-2024-0001 HIGH');
    expect(all).toContain('Scan results in the ECR console');
  });
});

describe('escapeSlackText', () => {
  it('encodes exactly &, < and >', () => {
    // Act & Assess
    expect(escapeSlackText('<!here> a&b "quoted" *bold* `code`')).toBe('&lt;!here&gt; a&amp;b "quoted" *bold* `code`');
  });

  it('breaks plain broadcast mentions with a zero-width space, and leaves other @ words alone', () => {
    // Act & Assess
    expect(escapeSlackText('@channel @Here @everyone @channels @alice a@b.c')).toBe('@\u200Bchannel @\u200BHere @\u200Beveryone @channels @alice a@b.c');
  });
});

describe('slackLink', () => {
  it('percent-encodes |, < and > in the URL and escapes the label', () => {
    // Act
    const link = slackLink('https://example.com/a|b<c>d&e', 'x|y <z>');

    // Assess
    expect(link).toBe('<https://example.com/a%7Cb%3Cc%3Ed&amp;e|x¦y &lt;z&gt;>');
  });

  it.each(['javascript:alert(1)', 'ftp://example.com', 'mailto:a@b.c', '//example.com', ''])('returns only the label for %j', (url) => {
    // Act & Assess
    expect(slackLink(url, 'label <x>')).toBe('label &lt;x&gt;');
  });
});
