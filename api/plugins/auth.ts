import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { authenticateApiKey } from '../../core/api-keys.js';
import type { Db } from '../../core/db.js';
import { AppError } from '../../core/errors.js';
import type { Principal, Scope } from '../../core/scopes.js';

/** Who may call a route: anyone, the operator's admin key, or a tenant key holding one of the scopes (the admin key too, where `admin` is listed). */
export type Access = 'public' | 'admin' | { scopes: Scope[]; admin?: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The key a client presented: `Authorization: Bearer`, `X-API-Key`, or HTTP Basic with the key as user name. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, value] = header.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer' && value) return value;
    if (scheme?.toLowerCase() === 'basic' && value) {
      const user = Buffer.from(value, 'base64').toString('utf8').split(':')[0];
      if (user) return user;
    }
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey ? apiKey : undefined;
}

const unauthorized = () =>
  new AppError(401, 'unauthorized', 'Missing or invalid API key: send it as Authorization: Bearer <key>, X-API-Key, or HTTP Basic user name');

/** Resolves the caller once per request and enforces the route's `config.access`; a route that states none is refused. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { db: Db; adminKey?: string }) => {
  const adminDigest = opts.adminKey ? createHash('sha256').update(opts.adminKey).digest() : undefined;
  const isAdminKey = (key: string) =>
    adminDigest !== undefined && timingSafeEqual(createHash('sha256').update(key).digest(), adminDigest);

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === 'public' || request.is404) return;
    if (access === undefined) throw new AppError(403, 'forbidden', 'This route is not open to API keys');
    const key = presentedKey(request);
    if (!key) throw unauthorized();
    const principal: Principal | undefined = isAdminKey(key) ? { kind: 'admin' } : await authenticateApiKey(opts.db, key);
    if (!principal) throw unauthorized();
    request.principal = principal;
    if (principal.kind === 'admin') {
      if (access === 'admin' || (typeof access === 'object' && access.admin)) return;
      throw new AppError(403, 'forbidden', 'The admin key manages tenants; use a tenant API key for this route');
    }
    if (access === 'admin') throw new AppError(403, 'forbidden', 'This route needs the admin key');
    if (!access.scopes.some((scope) => principal.scopes.includes(scope))) {
      throw new AppError(403, 'forbidden', `This key lacks the scope ${access.scopes.join(' or ')}; create a key that has it`);
    }
  });
});

/** The calling tenant's id; for routes whose access admits tenant keys only. */
export function tenantOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind !== 'tenant') throw new AppError(403, 'forbidden', 'This route needs a tenant API key');
  return principal.tenantId;
}
