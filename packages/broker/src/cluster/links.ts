/**
 * The inter-broker network as the fixture sees it: every broker-to-broker connection (follower
 * fetches) is opened through a LinkTable, so tests can cut a link (connections drop, new ones
 * fail) or slow it (every response waits) between chosen brokers — the fault injection a
 * Docker-based fixture cannot do. Links are directed; `cut(a, b)` cuts both directions.
 */
import * as net from 'node:net';

/** Longest delay a slowed link may add (a bound, so a typo cannot hang a test for hours). */
export const LINK_DELAY_MS_MAX = 60_000;

export class LinkTable {
  private readonly cutLinks = new Set<string>();
  private readonly delays = new Map<string, number>();
  private readonly sockets = new Map<string, Set<net.Socket>>();
  /** Where brokers really listen when they advertise a client proxy (client-proxy.ts). */
  private readonly addresses = new Map<number, { host: string; port: number }>();

  /** Replication to broker `id` goes to host:port instead of its registered (advertised) address. */
  setAddress(id: number, host: string, port: number): void {
    this.addresses.set(id, { host, port });
  }

  private static key(from: number, to: number): string {
    return `${from}>${to}`;
  }

  isCut(from: number, to: number): boolean {
    return this.cutLinks.has(LinkTable.key(from, to));
  }

  delayMs(from: number, to: number): number {
    return this.delays.get(LinkTable.key(from, to)) ?? 0;
  }

  /** Cuts a and b apart (both directions): open connections are destroyed, new ones fail. */
  cut(a: number, b: number): void {
    for (const key of [LinkTable.key(a, b), LinkTable.key(b, a)]) {
      this.cutLinks.add(key);
      for (const socket of this.sockets.get(key) ?? []) socket.destroy(new Error(`link ${key} cut`));
    }
  }

  heal(a: number, b: number): void {
    this.cutLinks.delete(LinkTable.key(a, b));
    this.cutLinks.delete(LinkTable.key(b, a));
    this.delays.delete(LinkTable.key(a, b));
    this.delays.delete(LinkTable.key(b, a));
  }

  /** Adds `delayMs` to every response between a and b (both directions); 0 removes it. */
  slow(a: number, b: number, delayMs: number): void {
    if (!(delayMs >= 0 && delayMs <= LINK_DELAY_MS_MAX)) throw new RangeError(`delayMs must be within 0..${LINK_DELAY_MS_MAX}`);
    for (const key of [LinkTable.key(a, b), LinkTable.key(b, a)]) {
      if (delayMs === 0) this.delays.delete(key);
      else this.delays.set(key, delayMs);
    }
  }

  healAll(): void {
    this.cutLinks.clear();
    this.delays.clear();
  }

  /** Opens a connection from broker `from` to broker `to` (fails at once when the link is cut). */
  connect(from: number, to: number, host: string, port: number): net.Socket {
    const key = LinkTable.key(from, to);
    const address = this.addresses.get(to) ?? { host, port };
    const socket = net.connect(address.port, address.host);
    if (this.cutLinks.has(key)) {
      queueMicrotask(() => socket.destroy(new Error(`link ${key} cut`)));
      return socket;
    }
    let set = this.sockets.get(key);
    if (set === undefined) this.sockets.set(key, (set = new Set()));
    set.add(socket);
    socket.once('close', () => set.delete(socket));
    return socket;
  }
}
