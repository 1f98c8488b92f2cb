// Webhook deliveries per second from the whole stack's dispatcher to a local receiver that answers
// at once, and the latency from an event's commit to its arrival (p50/p99).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, withTransaction } from '../core/db.js';
import { appendEvent } from '../core/events.js';
import { launchBenchStack, percentile, seconds, waitForHttp } from './support.js';

export async function benchWebhooks(): Promise<void> {
  const total = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 20_000);
  const stack = await launchBenchStack('webhooks', { DATABASE_POOL_SIZE: '20' });
  const latencies: number[] = [];
  let firstArrival = 0;
  let lastArrival = 0;
  const committed = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const id = req.headers['webhook-id'] as string;
      const at = committed.get(id);
      if (at !== undefined) latencies.push(now - at);
      firstArrival ||= now;
      lastArrival = now;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const db = createPool(stack.databaseUrl, 4);
  try {
    const { base } = stack;
    await waitForHttp(`${base}/healthz`, 60_000);
    const adminKey = stack.adminKey();
    const call = async (key: string, method: string, route: string, body: unknown) =>
      (await fetch(`${base}${route}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>;
    // Four tenants with an endpoint each, written in parallel: one tenant's events are serialised by
    // its sequence number, so one writer alone could not outrun the dispatcher.
    const tenants = await Promise.all([1, 2, 3, 4].map((n) => call(adminKey, 'POST', '/api/v1/tenants', { name: `Hooks ${n}` })));
    for (const tenant of tenants) await call(tenant.apiKey, 'POST', '/api/v1/webhooks', { url });

    // Events written as the engine writes them (appendEvent in a transaction), 100 per transaction.
    const started = Date.now();
    await Promise.all(
      tenants.map(async (tenant, t) => {
        for (let written = 0; written < total / tenants.length; written += 100) {
          const ids = await withTransaction(db, async (tx) => {
            const batch: string[] = [];
            for (let i = 0; i < 100; i++) {
              batch.push((await appendEvent(tx, { tenantId: tenant.id, type: 'message.processed', messageId: `msg_bench_${t}_${written + i}`, headers: { 'Tenant-ID': 'bench' } })).id);
            }
            return batch;
          });
          const now = Date.now();
          for (const id of ids) committed.set(id, now);
        }
      }),
    );
    const writtenIn = Date.now() - started;
    const deadline = Date.now() + 5 * 60_000;
    while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const rate = latencies.length / ((lastArrival - firstArrival) / 1000);
    console.log(`webhooks: ${total} events written in ${seconds(writtenIn)} (${Math.round(total / (writtenIn / 1000))}/s); ${latencies.length} delivered`);
    console.log(`webhooks: deliveries/s to a receiver answering at once (4 tenants' endpoints): ${Math.round(rate)} (first to last arrival ${seconds(lastArrival - firstArrival)})`);
    console.log(`webhooks: event committed → delivered: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`);

    // The dispatcher's own capacity: a backlog written while held back (due in an hour), then
    // released at once; deliveries/s while it drains.
    latencies.length = 0;
    firstArrival = 0;
    await Promise.all(
      tenants.map(async (tenant, t) => {
        for (let written = 0; written < total / tenants.length; written += 100) {
          await withTransaction(db, async (tx) => {
            for (let i = 0; i < 100; i++) {
              await appendEvent(tx, { tenantId: tenant.id, type: 'message.processed', messageId: `msg_backlog_${t}_${written + i}`, headers: { 'Tenant-ID': 'bench' } });
            }
            await tx.query(`UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour' WHERE tenant_id = $1 AND status = 'pending'`, [tenant.id]);
          });
        }
      }),
    );
    committed.clear();
    const released = Date.now();
    await db.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'`);
    await db.query(`NOTIFY mailflow_webhooks`);
    const backlogDeadline = Date.now() + 5 * 60_000;
    let arrived = 0;
    const countArrivals = () => arrived;
    const counter = (req: http.IncomingMessage) => req.on('end', () => arrived++);
    receiver.on('request', counter);
    while (countArrivals() < total && Date.now() < backlogDeadline) await new Promise((r) => setTimeout(r, 50));
    receiver.off('request', counter);
    const drainedIn = lastArrival - released;
    console.log(`webhooks: a backlog of ${total} deliveries released at once: ${arrived} delivered in ${seconds(drainedIn)} = ${Math.round(arrived / (drainedIn / 1000))} deliveries/s (the dispatcher's capacity here)`);
  } finally {
    await db.end();
    receiver.closeAllConnections();
    receiver.close();
    await stack.stop();
  }
}
