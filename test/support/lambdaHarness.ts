/**
 * Running the Lambda entry points in tests: their environment, their logs (Powertools writes JSON
 * lines straight to stdout/stderr) and a fake context.
 */
import { vi } from 'vitest';

export interface LogLine {
  level?: string;
  message?: string;
  eventId?: string;
  code?: string;
  [key: string]: unknown;
}

/** Captures (and silences) what the process writes until `restore()`. */
export function captureLogs(): { lines(): LogLine[]; restore(): void } {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as LogLine];
          } catch {
            return [];
          }
        }),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** Sets environment variables for the rest of the test file; returns a function that puts the old ones back. */
export function setEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}

export const LAMBDA_ENV = {
  AWS_REGION: 'ap-northeast-2',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:ap-northeast-2:123456789012:ecr-autopilot-notifications',
  IDEMPOTENCY_TABLE_NAME: 'ecr-autopilot-test-idempotency',
  STATE_TABLE_NAME: 'ecr-autopilot-test-state',
  EVENT_BUS_NAME: 'default',
  SLACK_WEBHOOK_SECRET_ID: 'ecr-autopilot/slack-webhook',
  POWERTOOLS_SERVICE_NAME: 'ecr-autopilot',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_LAMBDA_FUNCTION_NAME: 'ecr-autopilot-test',
} as const;
