import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { invalidFields } from '../../core/errors.js';

/** The path of the first string (or key) holding a NUL character, if any. */
function findNul(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key];
    const found = findNul(inner, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Postgres stores no NUL character in text or jsonb. A JSON body may spell one (`\u0000`); it is
 * refused here with a 400 naming the field, before any route could half-write it.
 */
export const nulCharactersPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('preValidation', async (request) => {
    const at = findNul(request.body);
    if (at) throw invalidFields('body', [{ path: at, message: 'contains a NUL character (\\u0000), which cannot be stored; remove it' }]);
  });
});
