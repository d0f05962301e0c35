import type { LabCheck } from '../types';

const SECTION = 'Scanning' as const;

/**
 * Image scanning is on for the registry: enhanced scanning, or basic scanning with a scan-on-push
 * rule for every repository (`*`). Otherwise every repository class must turn scan on push on.
 */
export const registryScanningCheck: LabCheck = {
  id: 'scanning',
  section: SECTION,
  async run(context) {
    const base = { id: 'scanning', section: SECTION, title: 'Registry scanning' } as const;
    const scanning = await context.stack.registryScanning({ signal: context.signal });
    if (scanning.scanType === 'ENHANCED') return [{ ...base, status: 'pass', expected: 'scan on push or enhanced scanning', found: 'enhanced scanning (Amazon Inspector)' }];
    const onPushForAll = scanning.rules.some((rule) => rule.scanFrequency === 'SCAN_ON_PUSH' && rule.filters.includes('*'));
    if (onPushForAll) return [{ ...base, status: 'pass', expected: 'scan on push or enhanced scanning', found: 'basic scanning, scan on push for every repository' }];
    const classesOff = context.config.repositoryClasses.filter((repositoryClass) => repositoryClass.scanOnPush !== true).map((repositoryClass) => repositoryClass.name);
    if (classesOff.length === 0) {
      return [{ ...base, status: 'pass', expected: 'scan on push or enhanced scanning', found: 'every repository class turns scan on push on (repository setting)' }];
    }
    return [
      {
        ...base,
        status: 'fail',
        expected: 'scan on push or enhanced scanning',
        found: `basic scanning without a registry-wide scan-on-push rule; classes without scanOnPush: ${classesOff.join(', ')}`,
        fix: 'aws ecr put-registry-scanning-configuration --scan-type BASIC --rules \'[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}]\'',
      },
    ];
  },
};
