// 100 Server-Sent Events clients on one tenant: events per second fanned out, and the worst
// client's lag from an event's commit to its arrival.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createPool, withTransaction } from '../core/db.js';
import { appendEvent } from '../core/events.js';
import { PROJECT_ROOT } from '../stack/binaries.js';
import { freePort } from '../stack/ports.js';
import { launch, percentile, seconds, waitForHttp } from './support.js';

export async function benchSse(): Promise<void> {
  const clients = Number(process.env.BENCH_SSE_CLIENTS ?? 100);
  const total = Number(process.env.BENCH_SSE_EVENTS ?? 2_000);
  const dataDir = path.join(PROJECT_ROOT, '.cache', `bench-sse-${process.pid}`);
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const ports = {
    PORT: String(await freePort()), POSTGRES_PORT: String(await freePort()), TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()), SFTP_PORT: String(await freePort()),
  };
  const stack = launch(process.execPath, ['--import', 'tsx', 'bin/start.ts'], { ...ports, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const db = createPool(`postgres://mailflow:mailflow@127.0.0.1:${ports.POSTGRES_PORT}/mailflow`, 2);
  const committed = new Map<number, number>();
  const aborts = new AbortController();
  try {
    const base = `http://127.0.0.1:${ports.PORT}`;
    await waitForHttp(`${base}/healthz`, 60_000);
    const adminKey = /Admin key\s+(\S+)/.exec(stack.output())![1]!;
    const tenant = (await (await fetch(`${base}/api/v1/tenants`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Streams' }) })).json()) as { id: string; apiKey: string };

    const worstLag = new Array<number>(clients).fill(0);
    const received = new Array<number>(clients).fill(0);
    const allLags: number[] = [];
    const streams = Array.from({ length: clients }, async (_, c) => {
      const response = await fetch(`${base}/api/v1/events/stream`, { headers: { authorization: `Bearer ${tenant.apiKey}` }, signal: aborts.signal });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        while (received[c]! < total) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let at: number;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            const id = /^id: (\d+)$/m.exec(block)?.[1];
            if (!id) continue;
            const lag = Date.now() - (committed.get(Number(id)) ?? Date.now());
            worstLag[c] = Math.max(worstLag[c]!, lag);
            allLags.push(lag);
            received[c]!++;
          }
        }
      } catch {
        /* aborted */
      }
    });
    await new Promise((r) => setTimeout(r, 1_000)); // every client connected

    const started = Date.now();
    for (let written = 0; written < total; written += 20) {
      const seqs = await withTransaction(db, async (tx) => {
        const out: number[] = [];
        for (let i = 0; i < 20; i++) out.push((await appendEvent(tx, { tenantId: tenant.id, type: 'message.processed', messageId: `msg_${written + i}` })).seq);
        return out;
      });
      const now = Date.now();
      for (const seq of seqs) committed.set(seq, now);
      await new Promise((r) => setTimeout(r, 10));
    }
    const deadline = Date.now() + 120_000;
    while (received.some((n) => n < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const elapsed = Date.now() - started;
    const delivered = received.reduce((a, b) => a + b, 0);
    console.log(`sse: ${clients} clients, ${total} events each: ${delivered} deliveries in ${seconds(elapsed)} = ${Math.round(delivered / (elapsed / 1000))} events/s fanned out`);
    console.log(`sse: lag commit → client: p50 ${percentile(allLags, 50)} ms, p99 ${percentile(allLags, 99)} ms; worst client's worst lag ${Math.max(...worstLag)} ms`);
    aborts.abort();
    await Promise.allSettled(streams);
  } finally {
    aborts.abort();
    await db.end();
    stack.child.kill('SIGTERM');
    await stack.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}
