import { describe, expect, it } from 'vitest';
import { EcrImageApiPacer, ecrImageApisOf } from '../../../lib/ecr/imageApiQuotas';
import { hasErrorCode } from '../../../lib/errors';
import { VirtualClock } from '../../support/virtualClock';

const REGISTRY = '123456789012.dkr.ecr.ap-northeast-2.amazonaws.com';
const at = (path: string) => new URL(`https://${REGISTRY}${path}`);
const UPLOAD = '/v2/mirror/app/blobs/uploads/6f1e0c0a-4a5e-4a4b-9a0b-2d5b1f7e9c11';
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('ecrImageApisOf', () => {
  it.each([
    ['PUT', '/v2/mirror/app/manifests/v1', true, ['PutImage']],
    ['PUT', `/v2/mirror/team/app/manifests/${DIGEST}`, true, ['PutImage']],
    ['HEAD', '/v2/mirror/app/manifests/v1', false, ['BatchGetImage']],
    ['GET', `/v2/mirror/app/manifests/${DIGEST}`, false, ['BatchGetImage']],
    ['HEAD', `/v2/mirror/app/blobs/${DIGEST}`, false, ['BatchCheckLayerAvailability']],
    ['GET', `/v2/mirror/app/blobs/${DIGEST}`, false, ['GetDownloadUrlForLayer']],
    ['POST', '/v2/mirror/app/blobs/uploads/', false, ['InitiateLayerUpload']],
    ['POST', '/v2/mirror/app/blobs/uploads/', true, ['InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload']],
    ['PATCH', UPLOAD, true, ['UploadLayerPart']],
    ['PUT', UPLOAD, false, ['CompleteLayerUpload']],
    ['PUT', UPLOAD, true, ['UploadLayerPart', 'CompleteLayerUpload']],
    ['DELETE', UPLOAD, false, []],
    ['GET', '/v2/', false, []],
    ['GET', '/v2/mirror/app/tags/list', false, []],
    ['GET', `/v2/mirror/app/referrers/${DIGEST}`, false, []],
  ] as const)('%s %s (body: %s) costs %j', (method, path, hasBody, apis) => {
    // Act
    const costs = ecrImageApisOf({ method, url: at(path), hasBody });

    // Assess
    expect(costs).toEqual(apis);
  });
});

describe('EcrImageApiPacer', () => {
  const rates = { BatchCheckLayerAvailability: 100, BatchGetImage: 100, CompleteLayerUpload: 10, GetDownloadUrlForLayer: 100, InitiateLayerUpload: 10, PutImage: 2, UploadLayerPart: 50 };

  it('spaces each action at its own rate, and a request waits for every action it costs', async () => {
    // Prepare
    const clock = new VirtualClock();
    const pacer = new EcrImageApiPacer(rates, clock);
    const starts: Array<[string, number]> = [];
    const request = (name: string, method: string, path: string, hasBody: boolean) => async () => {
      await pacer.pace({ registry: REGISTRY, method, url: at(path), hasBody });
      starts.push([name, clock.now()]);
    };

    // Act: three manifests and three blob checks at once, then a monolithic upload.
    await clock.run(async () => {
      await Promise.all([
        ...[1, 2, 3].map((i) => request(`put ${i}`, 'PUT', `/v2/app/manifests/v${i}`, true)()),
        ...[1, 2, 3].map((i) => request(`head ${i}`, 'HEAD', `/v2/app/blobs/sha256:${String(i).repeat(64)}`, false)()),
      ]);
      await request('monolithic', 'PUT', UPLOAD, true)();
    });

    // Assess: PutImage at 2/s (500 ms apart), blob checks at 100/s (10 ms apart), independently.
    expect(starts.filter(([name]) => name.startsWith('put')).map(([, time]) => time)).toEqual([500, 1000, 1500]);
    expect(starts.filter(([name]) => name.startsWith('head')).map(([, time]) => time)).toEqual([10, 20, 30]);
    // The upload waited for an UploadLayerPart slot (20 ms) and then a CompleteLayerUpload one (100 ms).
    expect(starts.find(([name]) => name === 'monolithic')?.[1]).toBe(1500 + 20 + 100);
    expect(pacer.rates()).toEqual(rates);
  });

  it('lets a request with no documented rate through at once, and ends a wait when the signal fires', async () => {
    // Prepare: the real clock (a slot half a second away), and a stop.
    const pacer = new EcrImageApiPacer(rates);
    const stop = new AbortController();

    // Act
    const ping = await pacer.pace({ registry: REGISTRY, method: 'GET', url: at('/v2/'), hasBody: false }).then(() => 'through');
    const waiting = pacer.pace({ registry: REGISTRY, method: 'PUT', url: at('/v2/app/manifests/v1'), hasBody: true }, stop.signal).then(() => 'through', (error: unknown) => error);
    stop.abort(new Error('stopped'));

    // Assess
    expect(ping).toBe('through');
    expect(hasErrorCode(await waiting, 'ABORTED')).toBe(true);
  });
});
