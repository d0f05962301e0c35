// `node --import ./test/support/recordLoadedModules.mjs …`: appends the URL of every module the
// process loads to the file LOADED_MODULES_LOG names, through a module `load` hook (node:module
// register), so a test can see exactly what a command loads.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (process.env.LOADED_MODULES_LOG) appendFileSync(process.env.LOADED_MODULES_LOG, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
