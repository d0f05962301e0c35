import { describe, expect, it } from 'vitest';
import { testTier } from '../support/testTier';

const ALL = ['docker-registry', 'skopeo', 'zsh', 'fish'];

describe('testTier', () => {
  it('runs the integration tier where its tools are installed', () => {
    // Act
    const tier = testTier({ PATH: '/usr/bin' }, () => true);

    // Assess
    expect(tier).toEqual({ integration: true, missing: [] });
  });

  it('skips it where a tool is missing, naming the tools and how to install them', () => {
    // Act
    const tier = testTier({ PATH: '/usr/bin' }, (tool) => tool === 'zsh');

    // Assess
    expect(tier.integration).toBe(false);
    expect(tier.missing).toEqual(['docker-registry', 'skopeo', 'fish']);
    expect(tier.message).toContain('Skipped the integration tier (test/integration/**): docker-registry, skopeo, fish not installed.');
    expect(tier.message).toContain('sudo apt-get install docker-registry skopeo openssl zsh fish');
    expect(tier.message).toContain('`npm run test:unit`');
  });

  it.each(['true', '1', 'yes'])('never skips it in CI (CI=%s): missing tools fail there', (ci) => {
    // Act
    const tier = testTier({ PATH: '/usr/bin', CI: ci }, () => false);

    // Assess
    expect(tier).toEqual({ integration: true, missing: ALL });
  });

  it.each(['', 'false', '0'])('does not take CI=%j for CI', (ci) => {
    // Act / Assess
    expect(testTier({ PATH: '/usr/bin', CI: ci }, () => false).integration).toBe(false);
  });

  it('looks the tools up on PATH', () => {
    // Act
    const tier = testTier({ PATH: '/nonexistent' });

    // Assess
    expect(tier.missing).toEqual(ALL);
  });
});
