import { AutopilotError } from '../errors';

/**
 * Reads an environment variable, naming it (and the fix) when it is missing. Empty counts as missing.
 *
 * @example
 * const topicArn = readEnv({ key: 'NOTIFICATION_TOPIC_ARN', fix: 'set it to the ARN of the notification topic' });
 */
export function readEnv(options: { key: string; fix: string; env?: NodeJS.ProcessEnv }): string;
export function readEnv(options: { key: string; defaultValue: string; env?: NodeJS.ProcessEnv }): string;
export function readEnv(options: { key: string; fix?: string; defaultValue?: string; env?: NodeJS.ProcessEnv }): string {
  const value = (options.env ?? process.env)[options.key];
  if (value !== undefined && value.trim() !== '') return value.trim();
  if (options.defaultValue !== undefined) return options.defaultValue;
  throw new AutopilotError('ENV_INVALID', `Environment variable ${options.key} is not set; ${options.fix ?? 'set it'}`);
}

/** An optional variable: undefined when unset or empty. */
export function readOptionalEnv(key: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[key];
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
