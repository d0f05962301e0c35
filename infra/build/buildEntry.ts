/**
 * What the build needs from the core, bundled on the fly by infra/build/buildConfig.cjs: the
 * configuration (to embed into the functions and to validate at package time) and the resources it
 * names (to scope IAM statements to exactly the repositories the configuration owns).
 */
export { configPath, loadConfig } from '../../lib/config/loadConfig';
export { repositoryGlobToArnPatterns } from '../../lib/config/repositoryGlob';
export { mirrorTargets } from '../../lib/mirror/mirrorTargets';
export { desiredPtcState } from '../../lib/pull-through-cache/desiredPtcState';
export { planFleet } from '../../lib/fleet/planFleet';
export { fleetStateMachineDefinition } from '../../lib/fleet/stateMachineDefinition';
