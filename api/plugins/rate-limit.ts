import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../core/db.js';
import { AppError } from '../../core/errors.js';
import { admit } from '../../core/rate-limit.js';
import { DEFAULT_RATE, getTenantSettings } from '../../core/tenant-settings.js';

/**
 * A preHandler that holds each API key to its tenant's request rate (default 15/s with a burst of
 * 30), shared by every API process. Answers carry RateLimit headers; a refusal is a 429 with Retry-After.
 */
export function perKeyRateLimit(db: Db) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal;
    if (principal?.kind !== 'tenant') return;
    const limits = (await getTenantSettings(db, principal.tenantId)).rateLimits;
    const rate = { perSecond: limits?.apiPerSecond ?? DEFAULT_RATE.apiPerSecond, burst: limits?.apiBurst ?? DEFAULT_RATE.apiBurst };
    const admission = await admit(db, `api:${principal.keyId}`, rate);
    reply.header('RateLimit-Limit', String(admission.limit));
    reply.header('RateLimit-Remaining', String(admission.remaining));
    reply.header('RateLimit-Reset', String(admission.resetSeconds));
    reply.header('RateLimit-Policy', `${rate.burst};w=${Math.max(1, Math.round(rate.burst / rate.perSecond))}`);
    if (!admission.allowed) {
      throw new AppError(429, 'rate_limited', `This key is limited to ${rate.perSecond} requests/s (burst ${rate.burst}); retry after ${admission.resetSeconds} s`, {
        retryAfterSeconds: admission.resetSeconds,
      });
    }
  };
}
