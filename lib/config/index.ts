export { loadConfig, readConfig, configPath, DEFAULT_CONFIG_PATH, type LoadedConfig, type ConfigReadResult } from './loadConfig';
export { matchRepositoryClass } from './matchRepositoryClass';
export { compileRepositoryGlob, compileRepositoryGlobs } from './repositoryGlob';
export type * from './types';
