import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

// The proto package is CommonJS; its namespaces come off the default export under ESM.
const { temporal } = proto;
import { ENGINE_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

/** Registers the engine's search attributes on a namespace that lacks them (a cluster or Temporal Cloud). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = ENGINE_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return missing.map((key) => key.name);
}
