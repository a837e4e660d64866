/**
 * A TCP listener that turns sockets into Connections. Connections are independent: one that
 * misbehaves is closed alone. `close()` is graceful: stop accepting, let every connection answer
 * the requests it has already read, then close; after `shutdownTimeoutMs` the rest are cut.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Connection, type ConnectionLimits, type FrameDispatcher } from './connection.ts';

export interface ServerOptions extends ConnectionLimits {
  host: string;
  /** 0 picks an ephemeral port. */
  port: number;
  connectionsMax: number;
  shutdownTimeoutMs: number;
  dispatch: FrameDispatcher;
  onConnectionError?: (connection: Connection, error: unknown) => void;
}

export class KafkaServer {
  private readonly options: ServerOptions;
  private readonly server: NetServer;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private closing: Promise<void> | null = null;

  constructor(options: ServerOptions) {
    this.options = options;
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    // A listener error after listen() (e.g. EMFILE on accept) must not crash the process.
    this.server.on('error', () => undefined);
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
    return { host: this.options.host, port: address.port };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    if (this.closing !== null || this.connections.size >= this.options.connectionsMax) {
      socket.destroy();
      return;
    }
    const connection = new Connection(this.nextConnectionId++, socket, this.options, this.options.dispatch, {
      onClose: (closed) => this.connections.delete(closed),
      onError: (failed, error) => this.options.onConnectionError?.(failed, error),
    });
    this.connections.add(connection);
  }

  close(): Promise<void> {
    this.closing ??= this.closeGracefully();
    return this.closing;
  }

  private async closeGracefully(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const drained = Promise.all([...this.connections].map((connection) => connection.drainAndClose()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.shutdownTimeoutMs);
    });
    await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.destroy();
    await stopped;
  }

  /** Cuts every connection at once (a crash, for fault injection). */
  async abort(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const connection of this.connections) connection.destroy();
      await stopped;
    })();
    return this.closing;
  }
}
