/**
 * Output that fits a width: long lines are wrapped at spaces with a hanging indent that keeps them
 * readable as one item (`  decision: …` continues two spaces in; a quoted notification line
 * `    | …` stays inside its quote). A word wider than the line (a URL) is cut where the line ends.
 * Colour codes take no room.
 */
import type { CommandIo } from './io';

const COLOUR_CODE = /\x1b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(COLOUR_CODE, '').length;
}

/** Cuts a word into pieces of at most `room` visible characters (colour codes are never cut). */
function cut(word: string, room: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let length = 0;
  for (const token of word.split(/(\x1b\[[0-9;]*m)/)) {
    if (COLOUR_CODE.test(token)) {
      COLOUR_CODE.lastIndex = 0;
      piece += token;
      continue;
    }
    for (const char of token) {
      if (length === room) {
        pieces.push(piece);
        piece = '';
        length = 0;
      }
      piece += char;
      length += 1;
    }
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/**
 * The line as lines of at most `width` visible characters.
 *
 * @example
 * wrapLine('  decision: one two three', 16); // ['  decision: one', '    two three']
 */
export function wrapLine(line: string, width: number): string[] {
  if (visibleLength(line) <= width) return [line];
  const lead = /^(\s*)(\|\s*)?/.exec(line)?.[0] ?? '';
  const hanging = `${lead}  `;
  const words = line.slice(lead.length).split(' ');
  const lines: string[] = [];
  let current = lead;
  let currentLength = visibleLength(lead);
  let empty = true;
  const flush = () => {
    lines.push(current.trimEnd());
    current = hanging;
    currentLength = hanging.length;
    empty = true;
  };
  for (const word of words) {
    const length = visibleLength(word);
    if (!empty && currentLength + 1 + length > width) flush();
    if (currentLength + length > width) {
      // Wider than the line (a URL, which has no space to break at): cut it where the lines end.
      const [first = '', ...rest] = cut(word, width - currentLength);
      const pieces = [first, ...rest.join('') === '' ? [] : cut(rest.join(''), width - hanging.length)];
      for (const [index, piece] of pieces.entries()) {
        if (index > 0) flush();
        current += piece;
        currentLength += visibleLength(piece);
        empty = false;
      }
      continue;
    }
    current += `${empty ? '' : ' '}${word}`;
    currentLength += (empty ? 0 : 1) + length;
    empty = false;
  }
  if (!empty) lines.push(current.trimEnd());
  return lines;
}

/**
 * `io` with every text line wrapped to `width` columns.
 *
 * @example
 * printReport(fitWidth(io, 100), report, { mode: 'plan' });
 */
export function fitWidth(io: CommandIo, width: number): CommandIo {
  return {
    ...io,
    json: io.json,
    out: (line) => {
      for (const text of line.split('\n')) for (const wrapped of wrapLine(text, width)) io.out(wrapped);
    },
  };
}
