import { describe, expect, it } from 'vitest';
import { formatImageReference, isEcrRegistry, parseImageReference } from '../../../lib/oci/reference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    { input: 'public.ecr.aws/eks/aws-load-balancer-controller:v2.9.2', expected: { registry: 'public.ecr.aws', repository: 'eks/aws-load-balancer-controller', tag: 'v2.9.2' } },
    { input: 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0', expected: { registry: 'registry.k8s.io', repository: 'autoscaling/cluster-autoscaler', tag: 'v1.32.0' } },
    { input: `127.0.0.1:5000/app@${DIGEST}`, expected: { registry: '127.0.0.1:5000', repository: 'app', digest: DIGEST } },
    { input: `localhost:5000/team/app:v1@${DIGEST}`, expected: { registry: 'localhost:5000', repository: 'team/app', tag: 'v1', digest: DIGEST } },
    { input: 'localhost/app:latest', expected: { registry: 'localhost', repository: 'app', tag: 'latest' } },
    { input: '[::1]:5000/app:v1', expected: { registry: '[::1]:5000', repository: 'app', tag: 'v1' } },
    { input: 'Registry.Example.COM/app', expected: { registry: 'registry.example.com', repository: 'app' } },
    { input: 'docker://quay.io/a/b__c.d-e:1.0_rc', expected: { registry: 'quay.io', repository: 'a/b__c.d-e', tag: '1.0_rc' } },
    { input: 'docker.io/nginx:1.27', expected: { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: '1.27' } },
    { input: 'docker.io/bitnami/nginx:1', expected: { registry: 'registry-1.docker.io', repository: 'bitnami/nginx', tag: '1' } },
    {
      input: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/eks/aws-load-balancer-controller:v2.9.2',
      expected: { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'mirror/eks/aws-load-balancer-controller', tag: 'v2.9.2' },
    },
  ])('parses $input', ({ input, expected }) => {
    expect(parseImageReference(input)).toEqual(expected);
  });

  it.each([
    { input: '', message: /it is empty/ },
    { input: 'nginx:1.27', message: /registry host is missing/ },
    { input: 'library/nginx:1.27', message: /registry host is missing/ },
    { input: 'https://public.ecr.aws/eks/x:1', message: /drop the http\(s\):\/\/ scheme/ },
    { input: 'public.ecr.aws/Eks/x:1', message: /component "Eks" must be lower-case/ },
    { input: 'public.ecr.aws/eks//x:1', message: /component "" must be/ },
    { input: 'public.ecr.aws/eks/x:-bad', message: /tag "-bad" must match/ },
    { input: 'public.ecr.aws/eks/x@sha256:abc', message: /Malformed digest/ },
    { input: 'public.ecr.aws/eks/x@md5:abc', message: /Unsupported digest/ },
    { input: 'public.ecr.aws/:1', message: /repository is missing/ },
    { input: 'public.ecr.aws/eks/x y:1', message: /whitespace/ },
    { input: 'bad_host.example/app:1', message: /not a valid registry host/ },
  ])('rejects $input with a USAGE error', ({ input, message }) => {
    expect(() => parseImageReference(input)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(message) }));
  });

  it('round-trips through formatImageReference', () => {
    const text = `127.0.0.1:5000/team/app:v1@${DIGEST}`;
    expect(formatImageReference(parseImageReference(text))).toBe(text);
  });
});

describe('isEcrRegistry', () => {
  it.each([
    { host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', expected: { accountId: '123456789012', region: 'eu-west-1' } },
    { host: '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', expected: { accountId: '123456789012', region: 'us-gov-west-1' } },
    { host: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', expected: { accountId: '123456789012', region: 'cn-north-1' } },
    { host: '123456789012.dkr-ecr.ap-northeast-2.on.aws', expected: { accountId: '123456789012', region: 'ap-northeast-2' } },
    { host: '123456789012.DKR.ECR.eu-west-1.amazonaws.com:443', expected: { accountId: '123456789012', region: 'eu-west-1' } },
    { host: 'public.ecr.aws', expected: undefined },
    { host: '12345.dkr.ecr.eu-west-1.amazonaws.com', expected: undefined },
    { host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example', expected: undefined },
  ])('$host → $expected', ({ host, expected }) => {
    expect(isEcrRegistry(host)).toEqual(expected);
  });
});
