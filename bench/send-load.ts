// /send under load against the whole stack (`npm start`, sandbox provider): sustained requests/s
// with p50/p99 latency from autocannon, the time until every accepted message reached the sandbox,
// and the Temporal dev server's own ceiling in workflow starts/s measured in the same run.
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import { buildApi } from '../api/app.js';
import { generateAdminKey, loadConfig } from '../core/config.js';
import { createPool } from '../core/db.js';
import { migrate } from '../core/migrate.js';
import pg from 'pg';
import { freePort } from '../stack/ports.js';
import { measureStartRate } from './temporal-ceiling.js';
import { callApi as api, launchBenchStack, seconds, waitForHttp } from './support.js';

const BODY = JSON.stringify({
  first_name: 'Ada', last_name: 'Lovelace', address_street: '10 Downing St', address_city: 'London',
  address_state: '', address_zip: 'SW1A 2AA', var_field_1: 'Plan Upgrade',
});


function runLoad(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * The accept path alone: the same API and Postgres, on a database no relay watches, so no workflow
 * runs. What /send costs when the workers are on other machines, as in production.
 */
async function benchAcceptPath(postgresPort: string, temporalAddress: string, rate: number, duration: number): Promise<void> {
  const admin = new pg.Client({ connectionString: `postgres://mailflow:mailflow@127.0.0.1:${postgresPort}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE accept_only');
  await admin.end();
  const config = loadConfig({ DATABASE_URL: `postgres://mailflow:mailflow@127.0.0.1:${postgresPort}/accept_only`, TEMPORAL_ADDRESS: temporalAddress, LOG_LEVEL: 'warn', ADMIN_API_KEY: generateAdminKey(), DATABASE_POOL_SIZE: '20' });
  const db = createPool(config.DATABASE_URL!, config.DATABASE_POOL_SIZE);
  await migrate(db);
  const connection = await Connection.connect({ address: temporalAddress });
  const app = await buildApi({ config, db, temporal: new Client({ connection }), logger: false });
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${port}`;
  try {
    const tenant = await api(base, config.ADMIN_API_KEY!, 'POST', '/api/v1/tenants', { name: 'Accept' });
    await api(base, config.ADMIN_API_KEY!, 'PATCH', `/api/v1/tenants/${tenant.id}/settings`, { rateLimits: { apiPerSecond: 100_000, apiBurst: 100_000 } });
    const template = await api(base, tenant.apiKey, 'POST', '/api/v1/templates', { name: 'card', channel: 'mail', html: '<p>{{first_name}}</p>' });
    const campaign = await api(base, tenant.apiKey, 'POST', '/api/v1/campaigns', { name: 'A', type: 'triggered', channel: 'mail', templateId: template.id });
    const options = { url: `${base}/api/v1/send/${campaign.id}`, method: 'POST' as const, headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' }, body: BODY, connections: 16 };
    await runLoad({ ...options, duration: 2 });
    const fixed = await runLoad({ ...options, duration, overallRate: rate });
    console.log(`send: accept path alone (API + Postgres, no workflow running) at a fixed ${rate} req/s: ${fixed.requests.average.toFixed(0)} req/s, p50 ${fixed.latency.p50} ms, p99 ${fixed.latency.p99} ms, ${fixed.non2xx} non-2xx`);
    const max = await runLoad({ ...options, duration: 10 });
    console.log(`send: accept path alone, saturated (16 connections): ${max.requests.average.toFixed(0)} req/s, p50 ${max.latency.p50} ms, p99 ${max.latency.p99} ms`);
  } finally {
    await app.close();
    await connection.close();
    await db.end();
  }
}

export async function benchSendLoad(): Promise<void> {
  const rate = Number(process.env.BENCH_SEND_RATE ?? 300);
  const duration = Number(process.env.BENCH_SEND_SECONDS ?? 20);
  const stack = await launchBenchStack('send', { DATABASE_POOL_SIZE: '20' });
  const { base, ports } = stack;
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  try {
    await waitForHttp(`${base}/healthz`, 60_000);
    const adminKey = stack.adminKey();
    const tenant = await api(base, adminKey, 'POST', '/api/v1/tenants', { name: 'Bench' });
    await api(base, adminKey, 'PATCH', `/api/v1/tenants/${tenant.id}/settings`, { rateLimits: { apiPerSecond: 100_000, apiBurst: 100_000, providerPerSecond: 100_000 } });
    const template = await api(base, tenant.apiKey, 'POST', '/api/v1/templates', { name: 'card', channel: 'mail', html: '<p>Dear {{first_name}} {{last_name}}, {{var_field_1}}. <<unsubscribe>></p>' });
    const campaign = await api(base, tenant.apiKey, 'POST', '/api/v1/campaigns', { name: 'Bench', type: 'triggered', channel: 'mail', templateId: template.id });
    await db.connect();
    // First the accept path alone, while the stack is idle.
    await benchAcceptPath(ports.POSTGRES_PORT, `127.0.0.1:${ports.TEMPORAL_PORT}`, rate, duration);

    const load = (overallRate: number | undefined, seconds: number, connections: number) =>
      runLoad({
        url: `${base}/api/v1/send/${campaign.id}`,
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
        body: BODY,
        connections,
        duration: seconds,
        ...(overallRate ? { overallRate } : {}),
      });
    // The dev server's ceiling on the same server before any load: starts/s from a bare client.
    const ceilingBefore = await measureStartRate(`127.0.0.1:${ports.TEMPORAL_PORT}`, 1500, 32);
    await load(undefined, 2, 8); // warm-up: connection pools, JIT
    const started = Date.now();
    const fixed = await load(rate, duration, 16);
    const loadEnded = Date.now();
    await new Promise((r) => setTimeout(r, 1_000)); // let the last in-flight requests commit
    const accepted = fixed['2xx'];
    console.log(
      `send: /send at a fixed ${rate} req/s for ${duration} s: ${fixed.requests.average.toFixed(0)} req/s sustained, ` +
        `p50 ${fixed.latency.p50} ms, p99 ${fixed.latency.p99} ms, max ${fixed.latency.max} ms, ${accepted} accepted, ${fixed.non2xx} non-2xx, ${fixed.errors} errors`,
    );

    // Every accepted message (warm-up included) must reach the sandbox.
    const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
    const expected = await count('SELECT count(*) AS n FROM messages');
    const deadline = Date.now() + 15 * 60_000;
    while (Date.now() < deadline && (await count("SELECT count(*) AS n FROM messages WHERE status IN ('sent', 'dropped', 'failed')")) < expected) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const drained = Date.now();
    const delivered = await count('SELECT count(*) AS n FROM sandbox_messages');
    const notSent = await count("SELECT count(*) AS n FROM messages WHERE status <> 'sent'");
    console.log(`send: ${delivered} of ${expected} accepted messages in the sandbox (${notSent} not sent), ${seconds(drained - loadEnded)} after the load ended, ${seconds(drained - started)} after it began`);
    if (notSent) {
      const { rows } = await db.query("SELECT status, status_reason, count(*) AS n FROM messages WHERE status <> 'sent' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5");
      for (const row of rows) console.log(`send:   ${row.n} ${row.status}: ${row.status_reason}`);
    }
    console.log(`send: end-to-end throughput (accepted → sandbox): ${(expected / ((drained - started) / 1000)).toFixed(0)} messages/s`);

    const saturated = await load(undefined, 10, 16);
    console.log(`send: /send saturated (16 connections, 10 s, workers busy with the backlog it makes): ${saturated.requests.average.toFixed(0)} req/s, p50 ${saturated.latency.p50} ms, p99 ${saturated.latency.p99} ms`);
    console.log(`send: Temporal dev server ceiling in this run (bare client, no worker for the queue, before the load): ${ceilingBefore.toFixed(0)} workflow starts/s`);
  } finally {
    await db.end().catch(() => {});
    await stack.stop();
  }
}
