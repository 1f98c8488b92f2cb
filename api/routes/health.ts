import proto from '@temporalio/proto';

// The proto package is CommonJS; its namespaces come off the default export under ESM.
const { temporal } = proto;
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';

const checkSchema = z.object({ ok: z.boolean(), latencyMs: z.number(), detail: z.string().optional() });
const healthSchema = z
  .object({
    status: z.enum(['ok', 'unhealthy']),
    checks: z.object({ postgres: checkSchema, temporal: checkSchema, worker: checkSchema.extend({ taskQueue: z.string(), pollers: z.number() }) }),
  })
  .meta({ id: 'Health' });

// Pollers re-poll at least once a minute (the server's long-poll expiry); one not seen for longer has stopped.
const POLLER_FRESH_MS = 75_000;
const CHECK_TIMEOUT_MS = 3_000;

async function timed<T>(work: () => Promise<T>): Promise<{ ok: boolean; latencyMs: number; value?: T; detail?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    const value = await Promise.race([work(), timeout]);
    return { ok: true, latencyMs: Math.round(performance.now() - started), value };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { config, db, temporal: client } = deps;

  /** Live workers: pollers of the workflow task queue seen within the last long-poll interval. */
  const livePollers = async () => {
    const response = await client.workflowService.describeTaskQueue({
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const now = Date.now();
    return (response.pollers ?? []).filter((poller) => {
      const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
      return now - seconds * 1000 < POLLER_FRESH_MS;
    }).length;
  };

  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { summary: 'Reachability of Postgres, Temporal and a worker polling the task queue', tags: ['operations'], response: { 200: healthSchema, 503: healthSchema } },
    },
    async (_request, reply) => {
      const [postgres, temporalCheck, worker] = await Promise.all([
        timed(() => db.query('SELECT 1')),
        timed(() => client.workflowService.getSystemInfo({})),
        timed(livePollers),
      ]);
      const pollers = worker.value ?? 0;
      const workerCheck = {
        ok: worker.ok && pollers > 0,
        latencyMs: worker.latencyMs,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        pollers,
        detail: worker.detail ?? (pollers === 0 ? `no worker is polling task queue ${config.TEMPORAL_TASK_QUEUE}` : undefined),
      };
      const checks = {
        postgres: { ok: postgres.ok, latencyMs: postgres.latencyMs, detail: postgres.detail },
        temporal: { ok: temporalCheck.ok, latencyMs: temporalCheck.latencyMs, detail: temporalCheck.detail },
        worker: workerCheck,
      };
      const healthy = checks.postgres.ok && checks.temporal.ok && checks.worker.ok;
      return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unhealthy', checks });
    },
  );
};
