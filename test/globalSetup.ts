import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildCli } from '../infra/build/buildCli.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh build of the CLI from the current sources (what `prepare` puts in dist/). */
    cliDist: string;
    /** Why `npm test` skipped the integration tier on this machine ('' when it did not). */
    skippedTierMessage: string;
  }
}

/**
 * Builds the CLI once per test run, exactly as `npm ci` does, into a temporary directory: tests of
 * the executable (test/support/cliProcess.ts) run what users run, never a stale dist/.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-cli-dist-'));
  await buildCli(dir);
  project.provide('cliDist', dir);
  // Said again after the results, where it is seen (vitest.config.ts says it before them).
  const skipped = project.getProvidedContext().skippedTierMessage;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (skipped) console.warn(`\n${skipped}\n`);
  };
}
