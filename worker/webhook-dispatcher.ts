import { Agent, request } from 'undici';
import type { Db } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { signWebhook } from '../core/webhooks.js';
import { startNotifiedLoop, type NotifiedLoop } from './notified-loop.js';

export interface WebhookDispatcherOptions {
  db: Db;
  databaseUrl: string;
  logger: Logger;
  /** Delays between attempts (WEBHOOK_RETRY_SCHEDULE); attempts = delays + 1. */
  retrySchedule: number[];
  /** Requests in flight per endpoint in this process. */
  perEndpoint?: number;
  timeoutMs?: number;
  batch?: number;
  idlePollMs?: number;
  retentionDays?: number;
}

interface Claimed {
  id: string;
  endpoint_id: string;
  event_id: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
}

/**
 * Delivers the webhook outbox. A loop in each worker process rather than a Temporal workflow:
 * deliveries are many and small, the outbox rows are already durable, and a workflow per delivery
 * would cost a dozen history events for one HTTP call. Rows are claimed with a lease under
 * SKIP LOCKED, so several workers share the work and a crashed one's claims come back. Each
 * endpoint gets at most `perEndpoint` requests in flight and the loop never waits on a request, so
 * a slow or dead endpoint delays no other endpoint, and no other tenant.
 */
export function startWebhookDispatcher(options: WebhookDispatcherOptions): { stop(): Promise<void> } {
  const { db, logger, retrySchedule } = options;
  const perEndpoint = options.perEndpoint ?? 16;
  // Rows claimed ahead per endpoint, in rounds of `perEndpoint`: one claim query feeds many requests.
  const prefetchRounds = 8;
  const perEndpointClaim = perEndpoint * prefetchRounds;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const batch = options.batch ?? 1_000;
  const idlePollMs = options.idlePollMs ?? 200;
  const retentionDays = options.retentionDays ?? 7;
  const maxAttempts = retrySchedule.length + 1;
  // Long enough for a claimed row to wait its turn behind the endpoint's slots and still be sent.
  const leaseMs = (prefetchRounds + 1) * timeoutMs + 5_000;

  // undici's request() costs a fraction of fetch() per call; redirects are not followed, as a
  // webhook sender should not. Connections per origin are not capped here: endpoints that share a
  // host must not queue behind each other, and each endpoint's slots already bound its requests.
  const agent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const inFlight = new Map<string, number>();
  const queues = new Map<string, Claimed[]>();
  const running = new Set<Promise<void>>();
  let lastPurge = 0;
  // Set below; a finished request wakes the loop so the endpoint's next rows are claimed at once.
  let loop: NotifiedLoop | undefined;

  async function attempt(delivery: Claimed): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await request(delivery.url, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'webhook-id': delivery.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(delivery.secret, delivery.event_id, timestamp, body),
          'user-agent': 'mailflow-webhooks/1',
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      await response.body.dump().catch(() => {});
    } catch (e) {
      const err = e as Error & { code?: string };
      const timedOut = err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
      error = timedOut ? `no answer within ${timeoutMs} ms` : `${err.message}${err.code ? ` (${err.code})` : ''}`;
    }
    const durationMs = Math.round(performance.now() - started);
    const ok = status !== null && status >= 200 && status < 300;
    const attempts = delivery.attempts + 1;
    const failed = !ok && attempts >= maxAttempts;
    const delay = retrySchedule[Math.min(attempts - 1, retrySchedule.length - 1)] ?? 0;
    await record({ id: delivery.id, attempt: attempts, status, error, durationMs, outcome: ok ? 'delivered' : failed ? 'failed' : 'pending', delayMs: delay });
  }

  interface Outcome {
    id: string;
    attempt: number;
    status: number | null;
    error: string | null;
    durationMs: number;
    outcome: 'delivered' | 'failed' | 'pending';
    delayMs: number;
  }
  // Outcomes are written in batches: one statement and one commit for every outcome that finished
  // while the previous batch was being written, instead of a commit per delivery.
  let pending: Array<{ outcome: Outcome; done: (error?: unknown) => void }> = [];
  let flushing = false;

  function record(outcome: Outcome): Promise<void> {
    return new Promise((resolve, reject) => {
      pending.push({ outcome, done: (error) => (error ? reject(error) : resolve()) });
      void flush();
    });
  }

  async function flush(): Promise<void> {
    if (flushing || pending.length === 0) return;
    flushing = true;
    const batchToWrite = pending;
    pending = [];
    const o = batchToWrite.map((p) => p.outcome);
    try {
      await db.query(
        `WITH outcome AS (
           SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::int[], $6::text[], $7::float8[])
             AS t(id, attempt, status_code, error, duration_ms, status, delay_ms)),
         attempt AS (
           INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms)
           SELECT id, attempt, status_code, error, duration_ms FROM outcome
           ON CONFLICT (delivery_id, attempt) DO UPDATE SET status_code = EXCLUDED.status_code, error = EXCLUDED.error,
             duration_ms = EXCLUDED.duration_ms, attempted_at = now())
         UPDATE webhook_deliveries d SET attempts = o.attempt, last_status = o.status_code, last_error = o.error, lease_until = NULL,
           status = o.status, delivered_at = CASE WHEN o.status = 'delivered' THEN now() END,
           next_attempt_at = now() + o.delay_ms * interval '1 millisecond'
         FROM outcome o WHERE d.id = o.id`,
        [o.map((x) => x.id), o.map((x) => x.attempt), o.map((x) => x.status), o.map((x) => x.error), o.map((x) => x.durationMs), o.map((x) => x.outcome), o.map((x) => x.delayMs)],
      );
      for (const p of batchToWrite) p.done();
    } catch (error) {
      for (const p of batchToWrite) p.done(error);
    } finally {
      flushing = false;
      void flush();
    }
  }

  /** Runs an endpoint's queued deliveries, never more than `perEndpoint` at once. */
  function drain(endpointId: string): void {
    const queue = queues.get(endpointId);
    while (queue?.length && (inFlight.get(endpointId) ?? 0) < perEndpoint) {
      const delivery = queue.shift()!;
      inFlight.set(endpointId, (inFlight.get(endpointId) ?? 0) + 1);
      const task = attempt(delivery)
        .catch((error) => logger.warn({ err: error, deliveryId: delivery.id }, 'recording a webhook attempt failed; the lease will bring it back'))
        .finally(() => {
          inFlight.set(endpointId, (inFlight.get(endpointId) ?? 1) - 1);
          running.delete(task);
          drain(endpointId);
          loop?.wake();
        });
      running.add(task);
    }
    if (queue && queue.length === 0) queues.delete(endpointId);
  }

  async function claim(): Promise<number> {
    // Endpoints with a full queue here get nothing more until it drains.
    const busy = [...queues.entries()].filter(([, queue]) => queue.length >= perEndpointClaim - perEndpoint).map(([id]) => id);
    const { rows } = await db.query<Claimed>(
      `WITH candidates AS (
         SELECT id FROM (
           SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at) AS rn
           FROM webhook_deliveries
           WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
             AND NOT (endpoint_id = ANY($1::text[]))
           ORDER BY next_attempt_at LIMIT $2 * 10) ranked
         WHERE rn <= $3),
       locked AS (
         SELECT d.id FROM webhook_deliveries d JOIN candidates USING (id)
         WHERE d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until < now())
         LIMIT $2 FOR UPDATE OF d SKIP LOCKED)
       UPDATE webhook_deliveries d SET lease_until = now() + $4 * interval '1 millisecond'
       FROM locked, webhook_endpoints w
       WHERE d.id = locked.id AND w.id = d.endpoint_id
       RETURNING d.id, d.endpoint_id, d.event_id, d.payload, d.attempts, w.url, w.secret`,
      [busy, batch, perEndpointClaim, leaseMs],
    );
    for (const delivery of rows) {
      const queue = queues.get(delivery.endpoint_id) ?? [];
      queue.push(delivery);
      queues.set(delivery.endpoint_id, queue);
    }
    for (const endpointId of new Set(rows.map((r) => r.endpoint_id))) drain(endpointId);
    return rows.length;
  }

  async function purge(): Promise<void> {
    if (Date.now() - lastPurge < 3_600_000) return;
    lastPurge = Date.now();
    const { rowCount } = await db.query(`DELETE FROM webhook_deliveries WHERE created_at < now() - $1 * interval '1 day' AND status <> 'pending'`, [retentionDays]);
    if (rowCount) logger.info({ purged: rowCount }, `webhook payloads older than ${retentionDays} days purged`);
  }

  loop = startNotifiedLoop({
    name: 'webhook dispatcher',
    databaseUrl: options.databaseUrl,
    channel: 'mailflow_webhooks',
    idleMs: idlePollMs,
    logger,
    pass: async () => {
      await purge();
      return (await claim()) > 0;
    },
  });
  const started = loop;

  return {
    async stop() {
      await started.stop();
      await Promise.allSettled([...running]);
      await agent.close().catch(() => {});
    },
  };
}
