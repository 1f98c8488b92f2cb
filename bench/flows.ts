// 10,000 enrollments through POST /api/v1/flow on the whole stack (`npm start`, sandbox provider):
// enrollments/s and latency from autocannon, how long until every enrollment sent its first email
// and sleeps on its timer, the RSS of the process that runs the worker (and the API) meanwhile,
// and the history length of one finished five-step enrollment.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import pg from 'pg';
import { callApi as api, launchBenchStack, launchBenchWorker, seconds, waitForHttp } from './support.js';

/** Resident and peak resident memory of a process, in MB. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export async function benchFlows(): Promise<void> {
  const total = Number(process.env.BENCH_FLOW_ENROLLMENTS ?? 10_000);
  // The worker runs in its own process, as in production, so its memory is its own.
  const stack = await launchBenchStack('flows', { DATABASE_POOL_SIZE: '20', STACK_WORKER: 'false' });
  let worker: ReturnType<typeof launchBenchWorker> | undefined;
  const { base } = stack;
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  let connection: Connection | undefined;
  try {
    await waitForHttp(`${base}/healthz`, 60_000, (status): boolean => status === 503 || status === 200);
    const adminKey = stack.adminKey();
    const tenant = await api(base, adminKey, 'POST', '/api/v1/tenants', { name: 'Flow bench' });
    await api(base, adminKey, 'PATCH', `/api/v1/tenants/${tenant.id}/settings`, {
      sender: { email: 'hello@bench.example' },
      rateLimits: { apiPerSecond: 100_000, apiBurst: 100_000, providerPerSecond: 100_000 },
    });
    const welcome = await api(base, tenant.apiKey, 'POST', '/api/v1/templates', { name: 'welcome', channel: 'email', subject: 'Welcome {{first_name}}', html: '<p>Hi {{first_name}}</p>' });
    const card = await api(base, tenant.apiKey, 'POST', '/api/v1/templates', { name: 'card', channel: 'mail', html: '<p>Dear {{first_name}}, {{var_field_1}}</p>' });
    const drip = await api(base, tenant.apiKey, 'POST', '/api/v1/campaigns', {
      name: 'Drip', type: 'flow',
      steps: [{ id: 'welcome', type: 'email', templateId: welcome.id }, { id: 'pause', type: 'wait', duration: '1d' }, { id: 'card', type: 'mail', templateId: card.id }],
    });
    await db.connect();

    let n = 0;
    const contact = () => ({
      first_name: 'Maria', last_name: 'Chen', address_street: '456 Innovation Way', address_city: 'Austin', address_state: 'TX', address_zip: '73301',
      email: `maria.${n++}@bench.example`, var_field_1: 'Discount50',
    });
    const enrollAll = (campaignId: string) =>
      new Promise<autocannon.Result>((resolve, reject) =>
        autocannon(
          {
            url: `${base}/api/v1/flow`,
            method: 'POST',
            headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
            connections: 16,
            amount: total,
            requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ campaign_id: campaignId, contact: contact() }) }) }],
          },
          (error, r) => (error ? reject(error) : resolve(r)),
        ),
      );
    const report = (label: string, result: autocannon.Result, ms: number) =>
      console.log(
        `flows: ${label}: ${result['2xx']} of ${total} enrollments accepted in ${seconds(ms)}: ${((result['2xx'] / ms) * 1000).toFixed(0)} enrollments/s, ` +
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms, ${result.non2xx} non-2xx`,
      );

    // The accept path alone, before any worker runs (workers on other machines, as in production);
    // those enrollments are then set aside so the worker never starts them.
    const acceptOnly = await api(base, tenant.apiKey, 'POST', '/api/v1/campaigns', { name: 'Accept only', type: 'flow', steps: [{ id: 'welcome', type: 'email', templateId: welcome.id }] });
    const aloneStarted = Date.now();
    report('accept path alone (API + Postgres, no worker running)', await enrollAll(acceptOnly.id), Date.now() - aloneStarted);
    await db.query(`UPDATE flow_enrollments SET status = 'exited', exit_reason = 'bench', dispatched_at = now() WHERE campaign_id = $1`, [acceptOnly.id]);

    worker = launchBenchWorker(stack, { ...(process.env.WORKER_MAX_CACHED_WORKFLOWS && { WORKER_MAX_CACHED_WORKFLOWS: process.env.WORKER_MAX_CACHED_WORKFLOWS }) });
    console.log(`flows: worker started with NODE_OPTIONS=${worker.nodeOptions}`);
    await waitForHttp(`${base}/healthz`, 60_000);
    connection = await Connection.connect({ address: stack.temporalAddress });
    const workerPid = worker.child.pid!;
    console.log(`flows: worker process (worker and its relays) at rest before the load: ${(await memoryOf(workerPid)).rss.toFixed(0)} MB RSS`);

    const started = Date.now();
    const result = await enrollAll(drip.id);
    const accepted = Date.now();
    report('whole stack (API, worker, Temporal and Postgres on these 2 cores)', result, accepted - started);

    // Every enrollment started, sent its welcome email, and now sleeps on its one-day timer.
    const count = async (sql: string) => Number((await db.query(sql, [drip.id])).rows[0].n);
    const deadline = Date.now() + 20 * 60_000;
    let waiting = 0;
    while (Date.now() < deadline) {
      waiting = await count(`SELECT count(*) AS n FROM flow_enrollments WHERE campaign_id = $1 AND current_step = 'pause'`);
      if (waiting >= result['2xx']) break;
      await sleep(500);
    }
    const allWaiting = Date.now();
    console.log(`flows: ${waiting} enrollments started, sent their email and wait on their timer ${seconds(allWaiting - started)} after the first request (${(waiting / ((allWaiting - started) / 1000)).toFixed(0)} enrollments/s end to end)`);
    // Sampled for 15 s once every enrollment sleeps on its timer.
    let peakWaiting = 0;
    for (let i = 0; i < 30; i++) {
      peakWaiting = Math.max(peakWaiting, (await memoryOf(workerPid)).rss);
      await sleep(500);
    }
    const memory = await memoryOf(workerPid);
    console.log(`flows: worker process RSS while ${waiting} enrollments wait on their timers: ${peakWaiting.toFixed(0)} MB peak (sampled for 15 s); ${memory.peak.toFixed(0)} MB peak over the whole run, burst included`);

    // One five-step enrollment to its end: email, wait, branch, mail, exit.
    const five = await api(base, tenant.apiKey, 'POST', '/api/v1/campaigns', {
      name: 'Five steps', type: 'flow',
      steps: [
        { id: 'welcome', type: 'email', templateId: welcome.id },
        { id: 'pause', type: 'wait', duration: '2s' },
        { id: 'vip', type: 'branch', if: { field: 'var_field_1', op: 'eq', value: 'Discount50' }, then: 'card', else: 'done' },
        { id: 'card', type: 'mail', templateId: card.id },
        { id: 'done', type: 'exit' },
      ],
    });
    const enrolled = await api(base, tenant.apiKey, 'POST', '/api/v1/flow', { campaign_id: five.id, contact: contact() });
    let status = '';
    for (let i = 0; i < 600 && status !== 'completed'; i++) {
      status = (await api(base, tenant.apiKey, 'GET', `/api/v1/flow/${enrolled.enrollment_id}`)).status;
      if (status !== 'completed') await sleep(100);
    }
    if (connection) {
      const history = await new Client({ connection }).workflow.getHandle(enrolled.workflow_id).fetchHistory();
      console.log(`flows: history of one finished five-step enrollment (email, wait, branch, mail, exit): ${history.events?.length} events (status ${status})`);
    }
  } finally {
    await connection?.close();
    await db.end().catch(() => {});
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await stack.stop();
  }
}
