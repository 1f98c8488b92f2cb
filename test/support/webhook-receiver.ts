// A local webhook receiver: records what arrives per path and answers as scripted (a status
// sequence, or never, to play a black-holed endpoint).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Array<number | 'hang'>>();
  private readonly blackHoles = new Set<string>();
  private server?: http.Server;
  baseUrl = '';

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

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        const answer = this.blackHoles.has(path) ? 'hang' : (this.scripts.get(path)?.shift() ?? 200);
        if (answer === 'hang') return;
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
