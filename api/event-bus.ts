import pg from 'pg';

/**
 * One LISTEN connection per API process, fanning "tenant X has new events" out to that tenant's
 * open streams, so a thousand SSE clients cost one Postgres connection, not a thousand.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<() => void>>();
  private client?: pg.Client;
  private connecting?: Promise<void>;

  constructor(private readonly databaseUrl: string) {}

  private async connect(): Promise<void> {
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.databaseUrl });
      client.on('notification', (message) => this.listeners.get(message.payload ?? '')?.forEach((wake) => wake()));
      client.on('error', () => {
        // Streams fall back to their heartbeat-interval poll; the next subscribe reconnects.
        this.client = undefined;
        this.connecting = undefined;
      });
      await client.connect();
      await client.query('LISTEN mailflow_events');
      this.client = client;
    })();
    return this.connecting;
  }

  /** Calls `wake` whenever the tenant has new events; returns the unsubscribe. */
  async subscribe(tenantId: string, wake: () => void): Promise<() => void> {
    await this.connect().catch(() => undefined);
    let set = this.listeners.get(tenantId);
    if (!set) this.listeners.set(tenantId, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.listeners.delete(tenantId);
    };
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => {});
  }
}
