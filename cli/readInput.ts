import { readFileSync } from 'node:fs';
import { AutopilotError } from '../lib/errors';

/** The file name that means standard input (`--event -`), as in most Unix tools. */
export const STDIN = '-';

/**
 * A text file the user named, or standard input for `-`. A missing or unreadable file is a usage
 * error naming the path.
 *
 * @example
 * readText('policy.json'); readText('-'); // `cat event.json | ecr-autopilot invoke onImagePush --event -`
 */
export function readText(file: string): string {
  try {
    return file === STDIN ? readFileSync(process.stdin.fd, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    const what = file === STDIN ? 'standard input' : file;
    throw new AutopilotError('USAGE', `Cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the path`, { cause: error });
  }
}

/** A JSON file the user named (or `-` for standard input), parsed. */
export function readJsonFile(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AutopilotError('USAGE', `${file === STDIN ? 'Standard input' : file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
