/** Test helpers for the coordinator ensemble tests: a cuttable TCP proxy and small waits. */
import * as net from 'node:net';
import { fourLetterWord, type CoordinatorClient, type CoordinatorHandle, type CreateMode } from '@kafkaesque/coordinator';
import { isCoordinatorError } from '@kafkaesque/coordinator';

/** A TCP proxy for one directed peer link; `cut` drops its connections and refuses new ones. */
export class LinkProxy {
  readonly from: number;
  readonly to: number;
  private server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private target = { host: '127.0.0.1', port: 0 };
  cutOff = false;
  port = 0;

  constructor(from: number, to: number) {
    this.from = from;
    this.to = to;
    this.server = net.createServer((inbound) => this.accept(inbound));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  setTarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  private accept(inbound: net.Socket): void {
    if (this.cutOff) {
      inbound.destroy();
      return;
    }
    const outbound = net.connect(this.target.port, this.target.host);
    for (const socket of [inbound, outbound]) {
      this.sockets.add(socket);
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
      socket.on('close', () => {
        this.sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Proxies for every directed link of an ensemble of `nodes`, for startCoordinator's peerAddress. */
export async function linkProxies(nodes: number): Promise<{
  proxies: LinkProxy[];
  peerAddress: (from: number, to: number, actual: { host: string; port: number }) => { host: string; port: number };
  isolate: (id: number) => void;
  healAll: () => void;
  close: () => Promise<void>;
}> {
  const proxies: LinkProxy[] = [];
  for (let from = 1; from <= nodes; from++) {
    for (let to = 1; to <= nodes; to++) {
      if (from === to) continue;
      const proxy = new LinkProxy(from, to);
      await proxy.listen();
      proxies.push(proxy);
    }
  }
  return {
    proxies,
    peerAddress(from, to, actual) {
      const proxy = proxies.find((p) => p.from === from && p.to === to)!;
      proxy.setTarget(actual);
      return { host: '127.0.0.1', port: proxy.port };
    },
    isolate(id) {
      for (const proxy of proxies) if (proxy.from === id || proxy.to === id) proxy.cut();
    },
    healAll() {
      for (const proxy of proxies) proxy.heal();
    },
    async close() {
      await Promise.all(proxies.map((proxy) => proxy.close()));
    },
  };
}

export async function modeOf(host: string, port: number): Promise<string> {
  const answer = await fourLetterWord(host, port, 'srvr').catch(() => '');
  return /Mode: (\w+)/.exec(answer)?.[1] ?? 'down';
}

export async function findLeader(handle: CoordinatorHandle, exclude: number[] = [], timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const member of handle.members) {
      if (exclude.includes(member.id)) continue;
      if ((await modeOf(member.host, member.port)) === 'leader') return member.id;
    }
    await sleep(50);
  }
  throw new Error('no leader elected');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Retries a call through connection losses (as kazoo's KazooRetry does). */
export async function retrying<T>(call: () => Promise<T>, attempts = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isCoordinatorError(error) || !error.retriable || attempt >= attempts) throw error;
      await sleep(50);
    }
  }
}

/**
 * A create retried through connection losses. As in ZooKeeper, a create that failed with
 * CONNECTIONLOSS (its reply lost when the member dropped us, e.g. on a leader change) may still
 * have committed, so a retry can meet NODEEXISTS for our own node. That counts as created only
 * after an attempt was lost AND the node is provably ours: the data we sent, and the owner we
 * asked for (our session for an ephemeral, none for a persistent node). Anything else throws.
 */
export async function createRetrying(
  client: CoordinatorClient,
  path: string,
  data: Buffer | null = null,
  options: { mode?: CreateMode } = {},
  attempts = 200,
): Promise<string> {
  const mode = options.mode ?? 'persistent';
  if (mode === 'persistentSequential' || mode === 'ephemeralSequential') {
    throw new Error('createRetrying cannot tell a lost sequential create from another one');
  }
  let lostAnAttempt = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.create(path, data, { mode });
    } catch (error) {
      if (lostAnAttempt && isCoordinatorError(error, 'NODEEXISTS') && (await isOwnNode(client, path, data, mode))) return path;
      if (!isCoordinatorError(error) || !error.retriable || attempt >= attempts) throw error;
      lostAnAttempt = true;
      await sleep(50);
    }
  }
}

async function isOwnNode(client: CoordinatorClient, path: string, data: Buffer | null, mode: CreateMode): Promise<boolean> {
  const found = await retrying(() => client.getData(path));
  const empty = Buffer.alloc(0);
  const expectedOwner = mode === 'ephemeral' ? client.sessionId : 0n;
  return (found.data ?? empty).equals(data ?? empty) && found.stat.ephemeralOwner === expectedOwner;
}
