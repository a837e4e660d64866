/**
 * A TCP proxy in front of one broker's client listener, for fault injection between clients and
 * that broker: the broker advertises the proxy's address, so every client connection (bootstrap
 * and after Metadata) goes through it, while replication between brokers goes straight to the
 * brokers (LinkTable). `cut()` drops every client connection and refuses new ones until
 * `heal()`; `slow(ms)` delays every chunk, both ways, keeping order.
 */
import * as net from 'node:net';
import { LINK_DELAY_MS_MAX } from './links.ts';

/** Bytes buffered per direction while a slowed chunk waits (beyond it, reading pauses). */
const DELAYED_BYTES_MAX = 64 * 1024 * 1024;

export class ClientProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; broker: net.Socket }>();
  private target: { host: string; port: number };
  private cutValue = false;
  private delayMs = 0;

  private constructor(server: net.Server, target: { host: string; port: number }) {
    this.server = server;
    this.target = target;
  }

  static async start(host: string, port: number, target: { host: string; port: number }): Promise<ClientProxy> {
    let proxy: ClientProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client));
    proxy = new ClientProxy(server, target);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get isCut(): boolean {
    return this.cutValue;
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.cutValue) {
      client.destroy();
      return;
    }
    const broker = net.connect(this.target.port, this.target.host);
    broker.on('error', () => undefined);
    const pair = { client, broker };
    this.pairs.add(pair);
    const close = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      broker.destroy();
    };
    client.once('close', close);
    broker.once('close', close);
    this.pipe(client, broker);
    this.pipe(broker, client);
  }

  /** Forwards from → to, after the current delay, in order, with backpressure. */
  private pipe(from: net.Socket, to: net.Socket): void {
    let delayedBytes = 0;
    let lastDueMs = 0;
    from.on('data', (chunk: Buffer) => {
      if (this.delayMs === 0 && delayedBytes === 0) {
        if (!to.write(chunk)) from.pause();
        return;
      }
      const dueMs = Math.max(Date.now() + this.delayMs, lastDueMs);
      lastDueMs = dueMs;
      delayedBytes += chunk.length;
      if (delayedBytes > DELAYED_BYTES_MAX) from.pause();
      setTimeout(() => {
        delayedBytes -= chunk.length;
        if (!to.destroyed) to.write(chunk);
        if (delayedBytes <= DELAYED_BYTES_MAX && from.isPaused()) from.resume();
      }, dueMs - Date.now());
    });
    to.on('drain', () => from.resume());
  }

  /** Drops every client connection through the proxy and refuses new ones. */
  cut(): void {
    this.cutValue = true;
    for (const { client, broker } of [...this.pairs]) {
      client.destroy();
      broker.destroy();
    }
  }

  heal(): void {
    this.cutValue = false;
    this.delayMs = 0;
  }

  slow(delayMs: number): void {
    if (!(delayMs >= 0 && delayMs <= LINK_DELAY_MS_MAX)) throw new RangeError(`delayMs must be within 0..${LINK_DELAY_MS_MAX}`);
    this.delayMs = delayMs;
  }

  /** Where the proxy forwards to (a restarted broker keeps its port; kept for clarity). */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
