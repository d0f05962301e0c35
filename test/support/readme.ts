import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The README's "JSON output" table: command → its documented top-level fields, in order. */
export function documentedJsonFields(): Map<string, string[]> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### JSON output');
  const end = readme.indexOf('\n## ', start);
  const section = readme.slice(start, end);
  return new Map([...section.matchAll(/^\| `([^`|]+)` \| (.+?) \|$/gm)].map((row) => [row[1] as string, [...(row[2] as string).matchAll(/`([^`]+)`/g)].map((field) => field[1] as string)]));
}
