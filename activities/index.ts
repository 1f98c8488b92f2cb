import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { diagnosticsActivities } from './diagnostics.js';
import { fileActivities } from './files.js';
import { flowActivities } from './flow.js';
import { sendActivities } from './send.js';
import type { ProviderRegistry } from '../providers/registry.js';

export interface ActivityDeps {
  config: Config;
  db: Db;
  /** The platform's own provider registry; the built-in one otherwise. */
  providers?: ProviderRegistry;
}

/** Every activity the worker registers, bound to the process's shared resources. */
export function createActivities(deps: ActivityDeps) {
  const send = sendActivities(deps);
  return {
    ...diagnosticsActivities(deps.db),
    ...send,
    ...flowActivities(deps),
    ...fileActivities({ db: deps.db, send }),
  };
}
export type EngineActivities = ReturnType<typeof createActivities>;
