import { configPath, loadConfig } from '../../lib/config/loadConfig';
import { placeGeneratedRepositories, type GeneratedRepositoryPlacement } from '../../lib/config/placeGeneratedRepositories';
import type { CommandIo, ExitCode } from '../io';

/**
 * `ecr-autopilot config`: validates the configuration and shows how repositories are governed,
 * including the repositories ecr-autopilot and ECR create (mirrors, pull-through cache): which
 * class governs them, and a warning when none names them.
 */
export async function runConfigCheck(io: CommandIo): Promise<ExitCode> {
  const { config, warnings } = loadConfig(configPath());
  const placements = placeGeneratedRepositories(config);
  for (const warning of warnings) io.err(`warning: ${warning}`);
  io.data({ config, warnings, generatedRepositories: placements });
  io.out(`${config.source}: valid`);
  for (const repositoryClass of config.repositoryClasses) {
    const settings = [
      repositoryClass.lifecyclePolicy ? `lifecycle ${repositoryClass.lifecyclePolicy.source}` : 'lifecycle unmanaged',
      repositoryClass.scanOnPush === undefined ? 'scan unmanaged' : `scan on push ${repositoryClass.scanOnPush ? 'on' : 'off'}`,
      repositoryClass.tagMutability ?? 'mutability unmanaged',
      ...(repositoryClass.protectedTags.length > 0 ? [`protects ${repositoryClass.protectedTags.join(', ')}`] : []),
      ...(repositoryClass.expireOnPush ? ['expires on push'] : []),
    ];
    io.out(`  ${repositoryClass.name}: ${repositoryClass.repositories.join(', ')} → ${settings.join('; ')}`);
  }
  if (placements.length > 0) {
    io.out('Repositories ecr-autopilot and ECR create:');
    for (const placement of placements) io.out(`  ${describePlacement(placement)}`);
  }
  return 0;
}

function describePlacement(placement: GeneratedRepositoryPlacement): string {
  const source = placement.path.startsWith('pullThroughCache.') ? `pull-through cache ${placement.value}/` : `${placement.path} ${placement.value}`;
  const governed =
    placement.className === undefined
      ? 'no class (not governed)'
      : `class ${placement.className} (${placement.named ? placement.glob : `catch-all ${placement.glob ?? ''}: not a class meant for them`})`;
  const names = placement.path.startsWith('mirror.') ? `: ${placement.repositories.join(', ')}` : '';
  return `${source} → ${governed}${names}`;
}
