// Serverless variables computed from the configuration (`${file(./infra/build/configValues.cjs):…}`),
// so IAM statements grant access to exactly the repositories the configuration owns.
const { loadBuildConfig } = require('./buildConfig.cjs');

const repositoryArn = (path) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/${path}` });

/** The mirrored repositories (mirrorImages creates and pushes to exactly these). */
async function mirrorRepositoryArns() {
  const { config, mirrorRepositories } = await loadBuildConfig();
  // A statement needs a resource even when nothing is mirrored: the prefix, which holds nothing then.
  return mirrorRepositories.length > 0 ? mirrorRepositories.map(repositoryArn) : [repositoryArn(`${config.mirror.repositoryPrefix}/*`)];
}

/** Everything the lab owns: mirrored repositories and the repositories under declared pull-through cache prefixes. */
async function labRepositoryArns() {
  const { ptcPrefixes } = await loadBuildConfig();
  return [...(await mirrorRepositoryArns()), ...ptcPrefixes.map((prefix) => repositoryArn(`${prefix}/*`))];
}

/**
 * The roles repository creation templates name (`customRoleArn`): the only roles the pull-through
 * cache functions may pass to ECR. Empty when none is configured; infra/build/dropEmptyStatements.cjs
 * then removes the statement, so nothing is granted.
 */
async function templateRoleArns() {
  const { templateRoles } = await loadBuildConfig();
  return templateRoles;
}

/** The Amazon States Language of the fleet sweep and mirror (lib/fleet/stateMachineDefinition.ts). */
async function fleetSweepDefinition() {
  return (await loadBuildConfig()).fleetDefinitions.sweep;
}

async function fleetMirrorDefinition() {
  return (await loadBuildConfig()).fleetDefinitions.mirror;
}

/** Days the fleet bucket keeps a run's items and results (`fleet.retentionDays`). */
async function fleetRetentionDays() {
  return (await loadBuildConfig()).config.fleet.retentionDays;
}

/**
 * The repositories of the classes with `expireOnPush` (their globs as IAM resource patterns, see
 * repositoryGlobToArnPatterns): the only ones onImagePush may delete images in. Empty when no class
 * expires on push; infra/build/dropEmptyStatements.cjs then removes the statement.
 */
async function expireOnPushRepositoryArns() {
  const { expireOnPushRepositoryPatterns } = await loadBuildConfig();
  return expireOnPushRepositoryPatterns.map(repositoryArn);
}

/** The state table, for onImagePush only when a class expires on push (its shared deletion cap); else empty. */
async function expireOnPushStateTableArns({ resolveVariable }) {
  const { expireOnPushRepositoryPatterns } = await loadBuildConfig();
  return expireOnPushRepositoryPatterns.length > 0 ? [await resolveVariable('param:stateTableArn')] : [];
}

/** `verify.nodeRoleArn`, the one role verifyLab simulates; empty (so no statement) when it is unset. */
async function nodeRoleArns() {
  const { config } = await loadBuildConfig();
  return config.verify?.nodeRoleArn ? [config.verify.nodeRoleArn] : [];
}

module.exports = { mirrorRepositoryArns, labRepositoryArns, templateRoleArns, expireOnPushRepositoryArns, expireOnPushStateTableArns, nodeRoleArns, fleetSweepDefinition, fleetMirrorDefinition, fleetRetentionDays };
