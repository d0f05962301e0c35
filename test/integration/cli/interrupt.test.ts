/**
 * Ctrl-C on the real executable: `ecr-autopilot copy` in a child process, copying between real
 * registries, receives SIGINT while an upload session is open in the destination.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCliProcess } from '../../support/cliProcess';
import { type FaultProxy, startFaultProxy } from '../../support/faultProxy';
import { openUploadSessions, type RegistryServer, startRegistry } from '../../support/registryServer';
import { buildTestImage, headManifestDigest, type TestImage } from '../../support/testImages';

describe('ecr-autopilot copy and Ctrl-C (a real process, real registries)', () => {
  let upstream: RegistryServer;
  let destination: RegistryServer;
  /** In front of the upstream: the big layer's download stalls, so the copy is caught mid-way. */
  let upstreamProxy: FaultProxy;
  /** In front of the destination: lets a test make the cleanup itself hang. */
  let destinationProxy: FaultProxy;
  let image: TestImage;
  let bigLayer: string;

  beforeAll(async () => {
    [upstream, destination] = await Promise.all([startRegistry(), startRegistry()]);
    [upstreamProxy, destinationProxy] = await Promise.all([startFaultProxy(upstream.url), startFaultProxy(destination.url)]);
    image = await buildTestImage({ url: upstream.url, repository: 'team/app', tag: 'v1' }, { layers: [2048, 300_000], seed: 'interrupted-copy' });
    bigLayer = image.manifests[0]?.layers.find((layer) => layer.size === 300_000)?.digest ?? '';
    upstreamProxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${bigLayer}`), action: { kind: 'stall', afterBytes: 0 } });
  });

  afterAll(async () => {
    await Promise.all([upstreamProxy?.stop(), destinationProxy?.stop()]);
    await Promise.all([upstream?.stop(), destination?.stop()]);
  });

  const uploadsOf = (repository: string): string => join(destination.directory, `data/docker/registry/v2/repositories/${repository}/_uploads`);

  it('first Ctrl-C: closes the open upload sessions with DELETE, closes the progress line, prints what was done and exits 130; the tag is not pushed', async () => {
    // Prepare
    const cli = startCliProcess(['copy', `${upstreamProxy.host}/team/app:v1`, `${destinationProxy.host}/copied/app:v1`]);
    await vi.waitFor(async () => expect(await openUploadSessions(uploadsOf('copied/app'))).not.toEqual([]), { timeout: 30_000 });
    await vi.waitFor(() => expect(destinationProxy.inFlight().some((entry) => entry.method === 'PUT' && entry.path.includes(encodeURIComponent(bigLayer)))).toBe(true), { timeout: 30_000 });

    // Act
    cli.child.kill('SIGINT');
    const finished = await cli.finished;

    // Assess
    expect(finished.code).toBe(130);
    expect(finished.stderr).toContain('Interrupted: finishing cleanly (press Ctrl-C again to quit at once)');
    expect(finished.stdout).toContain(`Interrupted: ${upstreamProxy.host}/team/app:v1 → ${destinationProxy.host}/copied/app:v1 was not completed`);
    expect(finished.stdout).toMatch(/^ {2}blobs [0-2]\/3 complete, [\d.]+ [KM]?B of 302\.\d KB sent; the next copy skips the blobs already there$/m);
    expect(finished.stdout).toContain('the destination tag was not changed; upload sessions in progress were closed');
    expect(await openUploadSessions(uploadsOf('copied/app')), JSON.stringify(destinationProxy.log.map((e) => `${e.method} ${e.path.slice(0, 60)} ${e.status}`))).toEqual([]);
    // Every session still open got its DELETE (one whose PUT committed just as Ctrl-C came answers 404).
    expect(destinationProxy.log.filter((entry) => entry.method === 'DELETE' && entry.status === 204).length).toBeGreaterThan(0);
    expect(await headManifestDigest(destination.url, 'copied/app', 'v1')).toBeUndefined();
    expect(destinationProxy.log.some((entry) => entry.method === 'PUT' && entry.path.includes('/manifests/'))).toBe(false);
  });

  it('second Ctrl-C: exits 130 at once, without waiting for the cleanup the first one started', async () => {
    // Prepare: the destination never answers the DELETE, so a clean stop would wait for it.
    destinationProxy.addFault({ method: 'DELETE', path: /\/blobs\/uploads\//, action: { kind: 'hang' } });
    try {
      const cli = startCliProcess(['copy', `${upstreamProxy.host}/team/app:v1`, `${destinationProxy.host}/twice/app:v1`]);
      await vi.waitFor(async () => expect(await openUploadSessions(uploadsOf('twice/app'))).not.toEqual([]), { timeout: 30_000 });
      await vi.waitFor(() => expect(destinationProxy.inFlight().some((entry) => entry.method === 'PUT' && entry.path.includes('/twice/'))).toBe(true), { timeout: 30_000 });

      // Act: Ctrl-C, and again once the cleanup hangs.
      cli.child.kill('SIGINT');
      await vi.waitFor(() => expect(destinationProxy.inFlight().some((entry) => entry.method === 'DELETE' && entry.path.includes('/twice/'))).toBe(true), { timeout: 30_000 });
      cli.child.kill('SIGINT');
      const finished = await cli.finished;

      // Assess: it left before the cleanup ended, so it printed no report.
      expect(finished.code).toBe(130);
      expect(finished.stdout).toBe('');
    } finally {
      destinationProxy.clearFaults();
    }
  });
});
