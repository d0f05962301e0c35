import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('osls package with an invalid configuration', () => {
  it('fails, listing each problem of the configuration once', () => {
    // Prepare: two problems
    const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-invalid-config-'));
    const file = join(dir, 'autopilot.yml');
    writeFileSync(file, 'version: 1\nrepositoryClasses:\n  - name: web\n    repositories: 5\n    scanOnPush: maybe\n');
    try {
      // Act
      const result = spawnSync(join(ROOT, 'node_modules/.bin/osls'), ['package', '--package', join(dir, 'out')], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, AUTOPILOT_CONFIG: file, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
        maxBuffer: 16 * 1024 * 1024,
      });
      const output = `${result.stdout}${result.stderr}`;

      // Assess
      expect(result.status).not.toBe(0);
      expect(output.split(`Invalid configuration ${file}`)).toHaveLength(2);
      expect(output.split('repositoryClasses[0].repositories: must be an array').length - 1).toBe(1);
      expect(output.split('repositoryClasses[0].scanOnPush').length - 1).toBe(1);
      expect(output).not.toContain('at Module.loadConfig');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
