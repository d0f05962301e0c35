import { configPath, loadConfig } from '../../lib/config/loadConfig';
import type { CommandIo, ExitCode } from '../io';

/** `ecr-autopilot config`: validates the configuration and shows how repositories are governed. */
export async function runConfigCheck(io: CommandIo): Promise<ExitCode> {
  const { config, warnings } = loadConfig(configPath());
  for (const warning of warnings) io.err(`warning: ${warning}`);
  io.data({ config, warnings });
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
  return 0;
}
