// 100 Server-Sent Events clients on one tenant: events per second fanned out, and the worst
// client's lag from an event's commit to its arrival.
import { createPool, withTransaction } from '../core/db.js';
import { appendEvent } from '../core/events.js';
import { callApi, launchBenchStack, percentile, seconds, waitForHttp } from './support.js';

export async function benchSse(): Promise<void> {
  const clients = Number(process.env.BENCH_SSE_CLIENTS ?? 100);
  const total = Number(process.env.BENCH_SSE_EVENTS ?? 2_000);
  const stack = await launchBenchStack('sse');
  const db = createPool(stack.databaseUrl, 2);
  const committed = new Map<number, number>();
  const aborts = new AbortController();
  try {
    const { base } = stack;
    await waitForHttp(`${base}/healthz`, 60_000);
    const tenant = (await callApi(base, stack.adminKey(), 'POST', '/api/v1/tenants', { name: 'Streams' })) as { id: string; apiKey: string };

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
    await stack.stop();
  }
}
