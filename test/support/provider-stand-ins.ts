// Local stand-ins for the provider APIs that cannot be reached from here. They speak the wire
// format of SendPost's sub-account email API and Postalytics' triggered send, keep idempotency
// keys as real APIs do, and can be told to fail, slow down, hang or answer 429.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Accept the request and never answer. */
  hang?: boolean;
}

export interface ReceivedRequest {
  api: 'sendpost' | 'postalytics';
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  at: number;
  answered?: number;
}

export class ProviderStandIn extends LoopbackServer {
  readonly requests: ReceivedRequest[] = [];
  /** Successful sends, one per idempotency key: what a recipient would actually get. */
  readonly deliveries: ReceivedRequest[] = [];
  private readonly scripts: Record<'sendpost' | 'postalytics', ScriptedAnswer[]> = { sendpost: [], postalytics: [] };
  private readonly seen = new Map<string, { status: number; body: unknown }>();

  /** The next answers for an API, in order; after them it answers 200. */
  script(api: 'sendpost' | 'postalytics', ...answers: ScriptedAnswer[]): void {
    this.scripts[api].push(...answers);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '';
    const api = url.startsWith('/api/v1/subaccount/email') ? 'sendpost' : url.startsWith('/api/v1/send/') ? 'postalytics' : undefined;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (!api || req.method !== 'POST') return reply(404, { error: 'not found' });
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply(400, { error: 'invalid JSON' });
    }
    const received: ReceivedRequest = { api, path: url, headers: req.headers, body, at: Date.now() };
    this.requests.push(received);
    if (api === 'sendpost' && !req.headers['x-subaccount-apikey']) return reply(401, { error: 'missing X-SubAccount-ApiKey' });
    if (api === 'postalytics' && !/^Basic /.test(req.headers.authorization ?? '')) return reply(401, { error: 'missing basic auth' });

    const key = req.headers['idempotency-key'] as string | undefined;
    const previous = key ? this.seen.get(`${api}:${key}`) : undefined;
    if (previous) return reply(previous.status, previous.body, { 'idempotent-replayed': 'true' });

    const answer = this.scripts[api].shift() ?? { status: 200 };
    if (answer.hang) return; // the connection stays open, unanswered
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    received.answered = answer.status;
    if (answer.status >= 200 && answer.status < 300) {
      const success =
        answer.body ?? (api === 'sendpost' ? [{ messageId: `sp-${randomUUID()}`, errorCode: 0, to: body.to?.[0]?.email }] : { mailpiece_id: `pm-${randomUUID()}`, status: 'queued' });
      if (key) this.seen.set(`${api}:${key}`, { status: answer.status, body: success });
      this.deliveries.push(received);
      return reply(answer.status, success, answer.headers);
    }
    return reply(answer.status, answer.body ?? { error: `scripted ${answer.status}` }, answer.headers);
  }
}
