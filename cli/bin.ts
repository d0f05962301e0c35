#!/usr/bin/env node
/**
 * The `ecr-autopilot` executable (bundled to dist/ecr-autopilot.js at install time by `prepare`).
 *
 * A reader that closes the pipe early (`ecr-autopilot verify --plan | head -1`) makes writes to
 * stdout fail with EPIPE: that is not an error of ours, so it is ignored (cli/terminal.ts stops
 * writing) and the command finishes and exits with its real status, which `set -o pipefail` sees.
 */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
// `DEBUG=1` prints stacks; map them to the TypeScript sources (the maps load only then).
if (process.env.DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import('./main');
process.exitCode = await main(process.argv);
export {};
