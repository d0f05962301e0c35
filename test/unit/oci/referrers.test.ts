import { afterEach, describe, expect, it } from 'vitest';
import { computeDigest } from '../../../lib/oci/digest';
import { OCI_INDEX, OCI_MANIFEST } from '../../../lib/oci/mediaTypes';
import { listReferrers, nextPageLink } from '../../../lib/oci/remote/referrers';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { RegistryHttp } from '../../../lib/oci/transport/RegistryHttp';
import { type HostileServer, startHostileServer } from '../../support/hostileServer';

const subject = computeDigest(Buffer.from('subject'));
const referrer = (n: number) => ({ mediaType: OCI_MANIFEST, digest: computeDigest(Buffer.from(`referrer ${n}`)), size: 100 + n, artifactType: 'application/vnd.example.sig' });
const page = (...ns: number[]) => JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: ns.map(referrer) });

describe('nextPageLink', () => {
  it.each([
    ['</v2/a/referrers/x?last=1>; rel="next"', '/v2/a/referrers/x?last=1'],
    ['<https://r.example/v2/a/referrers/x?n=2>;rel=next', 'https://r.example/v2/a/referrers/x?n=2'],
    ['<https://r.example/prev>; rel="prev", </v2/next>; rel="next"', '/v2/next'],
    ['</v2/x>; title="a"; rel="next"', '/v2/x'],
    ['</v2/x>; rel="nextish"', undefined],
    ['</v2/x>; rel="prev"', undefined],
    // A target holds no `<` (RFC 3986), which is also what keeps a hostile header from costing quadratic time.
    ['<</v2/x>; rel="next"', '/v2/x'],
    [undefined, undefined],
  ])('reads %j', (link, next) => {
    expect(nextPageLink(link)).toBe(next);
  });

  it('reads a hostile header of 64 KiB of < as no link', () => {
    expect(nextPageLink('<'.repeat(64 * 1024))).toBeUndefined();
  });
});

describe('listReferrers', () => {
  let server: HostileServer | undefined;
  let registryHttp: RegistryHttp | undefined;

  afterEach(async () => {
    registryHttp?.close();
    await server?.stop();
  });

  async function list(pages: (target: string) => { body: string; link?: string }) {
    server = await startHostileServer((request, reply) => {
      if (request.target === '/v2/') {
        reply.send(200, { 'content-length': '0' });
        return;
      }
      const { body, link } = pages(request.target);
      reply.send(200, { 'content-type': OCI_INDEX, ...(link ? { link } : {}) }, body);
    });
    registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy({ sleep: () => Promise.resolve() }) });
    return listReferrers(registryHttp, { registry: server.host, repository: 'app' }, subject);
  }

  it('follows every next page and checks each descriptor', async () => {
    // Act
    const listed = await list((target) =>
      target.includes('last=2')
        ? { body: page(3) }
        : target.includes('last=') ? { body: page(), link: `</v2/app/referrers/${subject}?last=2>; rel="next"` } : { body: page(1, 2), link: `</v2/app/referrers/${subject}?last=1>; rel="next"` },
    );

    // Assess
    expect(listed.source).toBe('api');
    expect(listed.descriptors.map((d) => d.size)).toEqual([101, 102, 103]);
    expect(server?.requests.map((r) => r.target)).toEqual(['/v2/', `/v2/app/referrers/${subject}`, `/v2/app/referrers/${subject}?last=1`, `/v2/app/referrers/${subject}?last=2`]);
  });

  it('refuses a next page on the instance metadata service', async () => {
    // Act
    const listing = list(() => ({ body: page(1), link: '<http://169.254.169.254/latest/meta-data/iam/security-credentials/>; rel="next"' }));

    // Assess
    await expect(listing).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/sent a next-page link to 169\.254\.169\.254, a link-local address/) });
  });

  it('gives up on a registry that pages in a loop', async () => {
    // Act
    const listing = list(() => ({ body: page(1), link: `</v2/app/referrers/${subject}?last=1>; rel="next"` }));

    // Assess
    await expect(listing).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/kept paging/) });
    expect(server?.requests).toHaveLength(3);
  });
});
