/**
 * Member-to-member messaging: every member listens on its peer port, and keeps one outbound
 * TCP connection to each other member (reconnecting with a short backoff). Messages are one
 * JSON object per line; each carries `from`, and replies travel on the replier's own outbound
 * connection, so a link is cut in one direction by closing one connection (the fault tests cut
 * links with proxies placed on these addresses). Lost messages are fine: Raft retries.
 */
import * as net from 'node:net';

export interface PeerAddress {
  host: string;
  port: number;
}

/** Beyond this many unsent bytes on a link, messages are dropped (Raft resends what matters). */
const LINK_BUFFER_BYTES_MAX = 16 * 1024 * 1024;
/** Longest line accepted from a peer (a batch of entries or a snapshot). */
const LINE_BYTES_MAX = 256 * 1024 * 1024;
const RECONNECT_DELAY_MS = 100;

export type PeerMessage = { from: number; kind: string } & Record<string, unknown>;

export class PeerLinks {
  readonly selfId: number;
  private readonly peers: Map<number, PeerAddress>;
  private readonly outbound = new Map<number, net.Socket>();
  private readonly connecting = new Set<number>();
  private readonly inbound = new Set<net.Socket>();
  private server: net.Server | null = null;
  private closed = false;
  private readonly onMessage: (message: PeerMessage) => void;
  private readonly onLinkDown: (peerId: number) => void;

  constructor(
    selfId: number,
    peers: Map<number, PeerAddress>,
    onMessage: (message: PeerMessage) => void,
    onLinkDown: (peerId: number) => void = () => {},
  ) {
    this.selfId = selfId;
    this.peers = peers;
    this.onMessage = onMessage;
    this.onLinkDown = onLinkDown;
  }

  async listen(host: string, port: number): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    for (const id of this.peers.keys()) this.connect(id);
    return (server.address() as net.AddressInfo).port;
  }

  private accept(socket: net.Socket): void {
    this.inbound.add(socket);
    socket.setNoDelay(true);
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      if (pending.length > LINE_BYTES_MAX) {
        socket.destroy();
        return;
      }
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        let message: PeerMessage;
        try {
          message = JSON.parse(line) as PeerMessage;
        } catch {
          socket.destroy();
          return;
        }
        if (!this.closed) this.onMessage(message);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.inbound.delete(socket));
  }

  private connect(id: number): void {
    if (this.closed || this.connecting.has(id) || this.outbound.has(id)) return;
    const address = this.peers.get(id)!;
    this.connecting.add(id);
    const socket = net.connect(address.port, address.host);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.connecting.delete(id);
      this.outbound.set(id, socket);
    });
    socket.on('data', () => {});
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.connecting.delete(id);
      if (this.outbound.get(id) === socket) {
        this.outbound.delete(id);
        if (!this.closed) this.onLinkDown(id);
      }
      if (!this.closed) setTimeout(() => this.connect(id), RECONNECT_DELAY_MS).unref();
    });
  }

  /** Sends if the link is up and not backed up; otherwise drops the message and says so. */
  send(to: number, message: Record<string, unknown>): boolean {
    const socket = this.outbound.get(to);
    if (socket === undefined || socket.writableLength > LINK_BUFFER_BYTES_MAX) return false;
    // everything sent to one peer in this tick leaves in one write (many clients' forwarded
    // writes, replies to a burst of AppendEntries), not one system call and packet each
    if (!socket.writableCorked) {
      socket.cork();
      process.nextTick(() => socket.uncork());
    }
    socket.write(JSON.stringify({ ...message, from: this.selfId }) + '\n');
    return true;
  }

  get peerIds(): number[] {
    return [...this.peers.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.outbound.values()) socket.destroy();
    for (const socket of this.inbound) socket.destroy();
    this.outbound.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
