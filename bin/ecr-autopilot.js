#!/usr/bin/env node
// The CLI runs from the TypeScript sources through tsx, so `npm ci` is the only build step.
import { register } from 'tsx/esm/api';

register();
// `ecr-autopilot … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
