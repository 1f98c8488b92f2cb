import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server on a free loopback port, for the stand-ins tests talk to. */
export abstract class LoopbackServer {
  baseUrl = '';
  private server?: http.Server;

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void | Promise<void>;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Stops at once, cutting requests that are left hanging on purpose. */
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
