// A local webhook receiver: records what arrives per path and answers as scripted (a status
// sequence, or never, to play a black-holed endpoint).
import http from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export class WebhookReceiver extends LoopbackServer {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Array<number | 'hang'>>();
  private readonly blackHoles = new Set<string>();

  /** Answers for a path, in order; after them, 200. */
  script(path: string, ...answers: Array<number | 'hang'>): void {
    this.scripts.set(path, answers);
  }

  /** Every request to this path is accepted and never answered. */
  blackHole(path: string): void {
    this.blackHoles.add(path);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = this.blackHoles.has(path) ? 'hang' : (this.scripts.get(path)?.shift() ?? 200);
      if (answer === 'hang') return;
      res.writeHead(answer).end();
    });
  }
}
