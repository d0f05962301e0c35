/**
 * Where registry auth files are looked for (containers-auth.json(5) and Docker's order). Apart from
 * the parser in authFile.ts, so a copy whose registries need no credentials, or a machine without
 * auth files, never loads the parser and its schema library.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The auth files to consult for one run, in order. */
export interface AuthFileSearch {
  /** `--authfile`, else `REGISTRY_AUTH_FILE`: named by the user, so it must exist, and it wins over ECR's automatic login. */
  explicit: string | undefined;
  /** The files the tools write by default, read when they exist. */
  defaults: string[];
}

/**
 * The auth files consulted, as containers-auth.json(5) orders them: the primary file
 * (`--authfile` or `REGISTRY_AUTH_FILE` when given, else `$XDG_RUNTIME_DIR/containers/auth.json`),
 * then `$XDG_CONFIG_HOME/containers/auth.json` (default `~/.config`), then Docker's
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`).
 *
 * @example
 * authFileSearch(process.env, { authfile: 'ci-auth.json' }); // { explicit: 'ci-auth.json', defaults: ['/home/me/.config/containers/auth.json', '/home/me/.docker/config.json'] }
 */
export function authFileSearch(env: NodeJS.ProcessEnv, options: { authfile?: string; home?: string; uid?: number } = {}): AuthFileSearch {
  const home = options.home ?? homedir();
  const explicit = options.authfile?.trim() || env.REGISTRY_AUTH_FILE?.trim() || undefined;
  const defaults: string[] = [];
  if (!explicit) {
    const runtimeDir = env.XDG_RUNTIME_DIR?.trim();
    const uid = options.uid ?? process.getuid?.();
    if (runtimeDir) defaults.push(join(runtimeDir, 'containers', 'auth.json'));
    else if (uid !== undefined) defaults.push(join('/run/containers', String(uid), 'auth.json'));
  }
  defaults.push(join(env.XDG_CONFIG_HOME?.trim() || join(home, '.config'), 'containers', 'auth.json'));
  defaults.push(join(env.DOCKER_CONFIG?.trim() || join(home, '.docker'), 'config.json'));
  return { explicit, defaults };
}
