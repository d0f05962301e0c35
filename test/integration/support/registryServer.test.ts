/**
 * The test registries never outlive what started them: a test run that is killed (a worker vitest
 * ends, a CI job cancelled, SIGKILL) must not leave `docker-registry` processes or their storage.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startRegistry } from '../../support/registryServer';

const ROOT = join(import.meta.dirname, '../../..');

/** Whether something answers HTTP at `url` (connection refused: false). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/v2/`, { method: 'GET' }, (response) => {
      response.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Starts a registry in a separate Node process, which prints its URL and directory and then waits. */
async function registryInAnotherProcess() {
  const script = `import { startRegistry } from ${JSON.stringify(join(ROOT, 'test/support/registryServer.ts'))};
const registry = await startRegistry();
process.stdout.write(JSON.stringify({ url: registry.url, directory: registry.directory }) + '\\n');
setInterval(() => undefined, 60_000);`;
  const starter = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const started = await new Promise<{ url: string; directory: string }>((resolve, reject) => {
    starter.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('\n')) resolve(JSON.parse(output) as { url: string; directory: string });
    });
    starter.once('exit', (code) => reject(new Error(`the starter exited (${code}) before its registry answered`)));
  });
  return { starter, ...started };
}

describe('startRegistry', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)('stops the registry and deletes its directory when the process that started it dies by %s', async (signal) => {
    // Prepare
    const { starter, url, directory } = await registryInAnotherProcess();
    expect(await answers(url)).toBe(true);

    // Act: no exit handler can run on SIGKILL.
    starter.kill(signal);

    // Assess
    await vi.waitFor(async () => expect(await answers(url)).toBe(false), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(existsSync(directory)).toBe(false), { timeout: 20_000, interval: 50 });
  });

  it('stop() ends the registry and deletes its directory', async () => {
    // Prepare
    const registry = await startRegistry();

    // Act
    await registry.stop();

    // Assess
    expect(await answers(registry.url)).toBe(false);
    expect(existsSync(registry.directory)).toBe(false);
  });
});
