import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { diagnosticsActivities } from './diagnostics.js';

export interface ActivityDeps {
  config: Config;
  db: Db;
}

/** Every activity the worker registers, bound to the process's shared resources. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...diagnosticsActivities(deps.db),
  };
}
export type EngineActivities = ReturnType<typeof createActivities>;
