import { AutopilotError } from '../../errors';
import { abortableSleep, abortedError, type CallOptions, classifyFailure, classifyStatus, type FailureClass, parseRetryAfter, retry, type RetryPolicy } from '../../shared/retry';
import type { SlackMessage } from '../render/renderSlackMessage';

/** Slack's webhook hosts; anything else would receive a credential that is not theirs. */
const SLACK_WEBHOOK_HOSTS: ReadonlySet<string> = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface SlackWebhookOptions extends Partial<Pick<RetryPolicy, 'baseDelayMs' | 'random' | 'now'>> {
  /** The webhook URL (a credential: never logged). Resolved lazily, e.g. from Secrets Manager. */
  url: () => Promise<string>;
  /** Attempts in total, including the first (default 4): a failing webhook is never retried forever. */
  maxAttempts?: number;
  /** The longest `Retry-After` we wait for; longer means fail now and let Lambda retry later (default 30 s). */
  maxRetryAfterMs?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Waits between attempts; injectable so tests never sleep (default: abortable timer). */
  sleep?: RetryPolicy['sleep'];
}

export interface SlackDelivery {
  attempts: number;
  /** Total time spent waiting on Retry-After / backoff. */
  waitedMs: number;
}

/**
 * One failed attempt, with what the retry loop needs to know about it. `failureClass` decides
 * whether this delivery tries again now; `retryable` whether the event is worth retrying later
 * (Lambda's retry): a network failure is, a 4xx answer is not.
 */
class SlackAttemptError extends AutopilotError {
  constructor(
    message: string,
    readonly failureClass: FailureClass,
    readonly detail: { status?: number; body?: string; retryAfterMs?: number; cause?: unknown },
  ) {
    super('NOTIFY_FAILED', message, { retryable: detail.status === undefined || failureClass !== 'permanent', cause: detail.cause });
  }

  get retryAfterMs(): number | undefined {
    return this.detail.retryAfterMs;
  }
}

/**
 * Posts Block Kit messages to a Slack incoming webhook, with the project's one retry module
 * (`lib/shared/retry.ts`): 429 waits `Retry-After`, 5xx and dropped connections back off, both a
 * bounded number of times; 4xx answers are never retried (they will not change: `invalid_blocks`,
 * `channel_is_archived`, `no_service`). Every wait and request ends when the caller's signal fires.
 */
export class SlackWebhook {
  private readonly url: () => Promise<string>;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;

  constructor(options: SlackWebhookOptions) {
    this.url = options.url;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.policy = {
      maxAttempts: options.maxAttempts ?? 4,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: 8_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
      retryOn: ['throttled', 'transient'],
      random: options.random ?? Math.random,
      sleep: options.sleep ?? abortableSleep,
      now: options.now ?? Date.now,
    };
  }

  /** @example await new SlackWebhook({ url: async () => webhookUrl }).post(renderSlackMessage(doc), { signal }); */
  async post(message: SlackMessage, options: CallOptions = {}): Promise<SlackDelivery> {
    const { signal } = options;
    // The URL comes from Secrets Manager through Powertools Parameters, which takes no signal: a
    // stopped delivery must not start that read.
    if (signal?.aborted) throw abortedError(signal, 'Posting to Slack');
    const url = checkWebhookUrl(await this.url());
    let attempts = 0;
    let waitedMs = 0;
    await retry(
      async (attempt) => {
        attempts = attempt;
        await this.postOnce(url, message, signal);
      },
      this.policy,
      signal,
      {
        classify: (error) => (error instanceof SlackAttemptError ? error.failureClass : classifyFailure(error, signal)),
        onWait: (ms) => {
          waitedMs += ms;
        },
        giveUp: (error, why) => giveUpError(error, why.attempts, why.because === 'retry-after' ? why.retryAfterMs : undefined),
      },
    );
    return { attempts, waitedMs };
  }

  private async postOnce(url: string, message: SlackMessage, signal: AbortSignal | undefined): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        // The URL is the credential: never follow a redirect to wherever it points.
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // Only the error's code: fetch's messages and causes may quote the URL, which is the secret.
      throw new SlackAttemptError(`Slack webhook unreachable (${networkFailureCode(error)})`, classifyFailure(error, signal), {});
    }
    const body = await response.text();
    if (response.ok) return;
    if (response.status >= 300 && response.status < 400) {
      // A redirect will not change on retry, and following it could hand the message to another host.
      throw new SlackAttemptError(`The Slack webhook answered with a redirect (HTTP ${response.status}); it was not followed. Check the webhook URL in the secret`, 'permanent', { status: response.status });
    }
    const reason = body.trim().slice(0, 200) || response.statusText;
    const failureClass = classifyStatus(response.status);
    const retryAfterMs = response.status === 429 ? parseRetryAfter(response.headers.get('retry-after'), this.policy.now()) : undefined;
    throw new SlackAttemptError(
      `Slack rejected the message with HTTP ${response.status} (${reason})${failureClass === 'permanent' ? '; fix the webhook secret or the channel, retrying will not help' : ''}`,
      failureClass,
      { status: response.status, body: reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
}

/** The error a delivery ends with once retrying stops: retryable, so Lambda tries the event again later. */
function giveUpError(error: unknown, attempts: number, retryAfterMs: number | undefined): AutopilotError {
  if (!(error instanceof SlackAttemptError)) return new AutopilotError('NOTIFY_FAILED', `Slack delivery failed after ${attempts} attempt(s)`, { cause: error, retryable: true });
  if (error.detail.status === 429) {
    const wait = retryAfterMs ?? error.retryAfterMs;
    return new AutopilotError(
      'NOTIFY_FAILED',
      `Slack rate-limited the webhook (429${wait === undefined ? '' : `, Retry-After ${Math.ceil(wait / 1000)} s`}) after ${attempts} attempt(s); delivery will be retried later`,
      { cause: error, retryable: true },
    );
  }
  if (error.detail.status === undefined) return new AutopilotError('NOTIFY_FAILED', error.message.replace('unreachable', `unreachable after ${attempts} attempts`), { retryable: true });
  return new AutopilotError('NOTIFY_FAILED', `${error.message} after ${attempts} attempts`, { cause: error, retryable: true });
}

/**
 * The code of a failed fetch (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, `TimeoutError`), never its
 * message: undici's messages and causes can contain the URL.
 */
function networkFailureCode(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown error';
}

/**
 * Accepts Slack's own webhook hosts over https on the default port, and loopback over http(s) for
 * local testing, except the Lambda Runtime API's port (`AWS_LAMBDA_RUNTIME_API`): whoever can write
 * the secret must not make the function post into its own runtime (`/runtime/init/error`, an
 * invocation's `/response`). Refuses user info (`https://user:pass@…`) anywhere: Slack never
 * issues it, and fetch would send it as an Authorization header. The error never contains the
 * URL's path (the secret part) nor its user info.
 */
export function checkWebhookUrl(raw: string, env: { AWS_LAMBDA_RUNTIME_API?: string | undefined } = process.env): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AutopilotError('SECRET_INVALID', 'The Slack webhook secret does not hold a URL; store the webhook URL (or {"webhookUrl": "..."}) in it');
  }
  if (url.username !== '' || url.password !== '') {
    throw new AutopilotError('SECRET_INVALID', `The Slack webhook secret has user info before ${url.host}; store the webhook URL exactly as Slack shows it (https://hooks.slack.com/services/...)`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || LOOPBACK_HOSTS.has(`[${url.hostname}]`);
  if (loopback && (url.protocol === 'http:' || url.protocol === 'https:')) {
    const runtimePort = env.AWS_LAMBDA_RUNTIME_API?.split(':').pop();
    if (runtimePort !== undefined && (url.port || (url.protocol === 'https:' ? '443' : '80')) === runtimePort) {
      throw new AutopilotError('SECRET_INVALID', `The Slack webhook secret points at ${url.protocol}//${url.host}, the Lambda Runtime API of this function; refusing to send the message there (store the webhook URL Slack shows)`);
    }
    return url.toString();
  }
  // `url.port` is '' for the scheme's default port (443 written out is normalised away).
  if (url.protocol !== 'https:' || !SLACK_WEBHOOK_HOSTS.has(url.hostname) || url.port !== '') {
    throw new AutopilotError('SECRET_INVALID', `The Slack webhook secret points at ${url.protocol}//${url.host}, not at https://hooks.slack.com; refusing to send the message there`);
  }
  return url.toString();
}
