import type { Client } from '@temporalio/client';
import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';

/** What the API needs from its host process; a platform embedding the engine passes its own. */
export interface ApiDeps {
  config: Config;
  db: Db;
  temporal: Client;
}
