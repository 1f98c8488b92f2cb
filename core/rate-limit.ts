import type { Queryable } from './db.js';

/**
 * A generic cell-rate limiter kept in Postgres, so one limit holds across every API process and
 * every worker: `perSecond` sustained, `burst` at once. One statement per call.
 */
export interface Rate {
  perSecond: number;
  burst: number;
}

const interval = (rate: Rate) => 1000 / rate.perSecond;
const tolerance = (rate: Rate) => interval(rate) * (rate.burst - 1);

/** Reserves the next slot and says how long to wait for it (0 when it is free now). Used before provider calls. */
export async function reserveSlot(db: Queryable, key: string, rate: Rate): Promise<number> {
  return (await reserveSlots(db, key, rate, 1))[0]!;
}

/**
 * Reserves the next `count` slots in one statement and says how long to wait for each, in order:
 * a batch of sends takes its share of the limit at once, and still goes out no faster than it.
 */
export async function reserveSlots(db: Queryable, key: string, rate: Rate, count: number): Promise<number[]> {
  if (count < 1) return [];
  const t = interval(rate);
  const { rows } = await db.query<{ first_wait_ms: number }>(
    `INSERT INTO rate_limits AS r (key, tat) VALUES ($1, clock_timestamp() + $2::float8 * $4::int * interval '1 millisecond')
     ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, clock_timestamp()) + $2::float8 * $4::int * interval '1 millisecond'
     RETURNING (EXTRACT(EPOCH FROM (r.tat - clock_timestamp())) * 1000 - $2::float8 * $4::int - $3::float8)::float8 AS first_wait_ms`,
    [key, t, tolerance(rate), count],
  );
  const first = rows[0]!.first_wait_ms;
  return Array.from({ length: count }, (_, i) => Math.max(0, Math.ceil(first + i * t)));
}

export interface Admission {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the next request would be allowed (when refused) or the bucket is full again. */
  resetSeconds: number;
}

/** Admits a request now or refuses it, never queueing. Used for the API's per-key limits. */
export async function admit(db: Queryable, key: string, rate: Rate): Promise<Admission> {
  const t = interval(rate);
  const tau = tolerance(rate);
  const { rows } = await db.query<{ allowed: boolean; ahead_ms: number }>(
    `WITH attempt AS (
       INSERT INTO rate_limits AS r (key, tat) VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, clock_timestamp()) + $2 * interval '1 millisecond'
         WHERE GREATEST(r.tat, clock_timestamp()) - $3 * interval '1 millisecond' <= clock_timestamp()
       RETURNING r.tat)
     SELECT true AS allowed, (EXTRACT(EPOCH FROM (tat - clock_timestamp())) * 1000)::float8 AS ahead_ms FROM attempt
     UNION ALL
     SELECT false, (EXTRACT(EPOCH FROM (tat - clock_timestamp())) * 1000)::float8 FROM rate_limits
       WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM attempt)`,
    [key, t, tau],
  );
  const { allowed, ahead_ms: ahead } = rows[0] ?? { allowed: true, ahead_ms: t };
  const remaining = Math.max(0, Math.floor((tau + t - ahead) / t));
  return {
    allowed,
    limit: rate.burst,
    remaining,
    resetSeconds: Math.max(1, Math.ceil((allowed ? ahead : ahead - t - tau) / 1000)),
  };
}
