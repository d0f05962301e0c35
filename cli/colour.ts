import type { Tone } from './io';

/** SGR colours per tone, reset with 39 (default foreground) so other attributes survive. */
const SGR: Record<Tone, number> = { pass: 32, fail: 31, warn: 33 };

/**
 * Whether output to `stream` gets colour. `FORCE_COLOR` decides first (`0` or `false` turn colour
 * off, any other non-empty value on, as Node and chalk read it), then a non-empty `NO_COLOR` turns
 * it off (no-color.org); otherwise only a terminal that is not `TERM=dumb` gets colour, so pipes
 * and files never do.
 *
 * @example
 * colourEnabled(process.stdout, process.env); // false in `ecr-autopilot verify | less`
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** `text` wrapped in the tone's colour. */
export function paint(tone: Tone, text: string): string {
  return `\x1b[${SGR[tone]}m${text}\x1b[39m`;
}
