import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [join(dir, entry.name)] : []))
    .sort();
}

/** Every module specifier a file imports or re-exports, statically or dynamically (type-only imports included). */
export function importsOf(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  for (const match of withoutComments.matchAll(/(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*${},\s]+?\s+from\s+)?['"]([^'"]+)['"]/g)) specifiers.push(match[1] as string);
  for (const match of withoutComments.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1] as string);
  return specifiers;
}

/** A relative specifier as a repository path (`lib/ecr/types.ts`); bare specifiers unchanged. */
function resolveSpecifier(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
  return target.endsWith('.ts') ? target : `${target}.ts`;
}

function importsOfFile(file: string): string[] {
  return importsOf(readFileSync(join(ROOT, file), 'utf8')).map((specifier) => resolveSpecifier(file, specifier));
}

const LIB_FILES = filesUnder('lib');

const FORBIDDEN_IN_LIB: Array<{ test: (target: string) => boolean; why: string }> = [
  { test: (target) => target.startsWith('functions/') || target.startsWith('cli/'), why: 'the core must not depend on its drivers (functions/, cli/)' },
  { test: (target) => target === 'aws-lambda' || target.startsWith('@types/aws-lambda'), why: 'Lambda types belong to functions/' },
  { test: (target) => target.startsWith('@middy/'), why: 'middy belongs to functions/runtime' },
  { test: (target) => /^@aws-lambda-powertools\/[^/]+\/middleware/.test(target), why: 'Powertools middy middleware belongs to functions/runtime' },
];

/** The pure planners: decisions only, no AWS SDK anywhere in what they import. */
const PURE_PLANNERS = LIB_FILES.filter(
  (file) =>
    ['lib/governance/planGovernance.ts', 'lib/scan/summarizeFindings.ts', 'lib/scan/judgeScan.ts'].includes(file) ||
    file.startsWith('lib/notify/present/') ||
    file.startsWith('lib/notify/render/'),
);

/** Every project file a file reaches through relative imports, with the chain that reaches it. */
function reachable(file: string): Map<string, string[]> {
  const chains = new Map<string, string[]>([[file, [file]]]);
  const queue = [file];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const target of importsOfFile(current)) {
      if (!target.endsWith('.ts') || chains.has(target)) continue;
      chains.set(target, [...(chains.get(current) ?? []), target]);
      queue.push(target);
    }
  }
  return chains;
}

describe('architecture', () => {
  it('finds the imports it checks (the checks can fail)', () => {
    // Act
    const ecrImports = importsOfFile('lib/ecr/EcrRegistry.ts');
    const entryImports = importsOfFile('functions/runtime/lambdaEntry.ts');

    // Assess
    expect(ecrImports).toContain('@aws-sdk/client-ecr');
    expect(ecrImports).toContain('lib/shared/awsCall.ts');
    expect(entryImports).toEqual(expect.arrayContaining(['@middy/core', '@aws-lambda-powertools/logger/middleware', 'aws-lambda', 'lib/errors.ts']));
    expect(importsOf("import type * as z from 'zod/mini';\nconst m = await import('./x');\nexport { a } from \"../b\";\nimport {\n  c,\n  d,\n} from './multi';")).toEqual(['zod/mini', '../b', './multi', './x']);
    expect(PURE_PLANNERS.length).toBeGreaterThanOrEqual(10);
  });

  it.each(LIB_FILES)('%s imports nothing from functions/, cli/, aws-lambda, middy or Powertools middleware', (file) => {
    // Act
    const violations = importsOfFile(file).flatMap((target) => FORBIDDEN_IN_LIB.filter((rule) => rule.test(target)).map((rule) => `${file} imports ${target}: ${rule.why}`));

    // Assess
    expect(violations).toEqual([]);
  });

  it.each(PURE_PLANNERS)('%s (a pure planner) reaches no @aws-sdk module', (file) => {
    // Act
    const violations = [...reachable(file)].flatMap(([reached, chain]) =>
      importsOfFile(reached)
        .filter((target) => target.startsWith('@aws-sdk/'))
        .map((target) => `${chain.join(' → ')} imports ${target}`),
    );

    // Assess
    expect(violations).toEqual([]);
  });
});
