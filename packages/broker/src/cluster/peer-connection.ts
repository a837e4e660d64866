/**
 * One broker-to-broker Kafka connection (a follower to its leader): requests encoded with the
 * generated codecs, answered in order, each with a timeout. Any failure (socket error, timeout,
 * undecodable frame) fails every outstanding request and closes the connection; the fetcher
 * opens a new one after its backoff.
 */
import type * as net from 'node:net';
import { decodeResponse, encodeRequest } from '@kafkaesque/protocol';

/** Largest response frame accepted from a peer (a fetch of many partitions stays far below). */
export const PEER_RESPONSE_BYTES_MAX = 256 * 1024 * 1024;
/** Requests outstanding on one peer connection (the fetcher sends one at a time). */
export const PEER_INFLIGHT_REQUESTS_MAX = 8;

export class PeerConnectionError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PeerConnectionError';
  }
}

interface Pending {
  correlationId: number;
  apiKey: number;
  version: number;
  resolve: (body: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class PeerConnection {
  private readonly socket: net.Socket;
  private readonly clientId: string;
  private readonly responseDelayMs: () => number;
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;
  private readonly connected: Promise<void>;

  constructor(socket: net.Socket, clientId: string, responseDelayMs: () => number = () => 0) {
    this.socket = socket;
    this.clientId = clientId;
    this.responseDelayMs = responseDelayMs;
    socket.setNoDelay(true);
    this.connected = new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
      // close() before the connection is up destroys the socket without an 'error': a request
      // awaiting the connection must fail then, or a stopping fetcher waits for it forever.
      socket.once('close', () => reject(new PeerConnectionError('connection closed')));
    });
    this.connected.catch(() => undefined);
    socket.on('data', (chunk: Buffer) => {
      const delayMs = this.responseDelayMs();
      if (delayMs > 0) setTimeout(() => this.onData(chunk), delayMs);
      else this.onData(chunk);
    });
    socket.on('error', (error) => this.fail(new PeerConnectionError(error.message, { cause: error })));
    socket.on('close', () => this.fail(new PeerConnectionError('connection closed')));
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  async request<T>(apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<T> {
    if (this.failure !== null) throw this.failure;
    if (this.pending.length >= PEER_INFLIGHT_REQUESTS_MAX) throw new PeerConnectionError('too many requests in flight');
    await this.connected;
    if (this.failure !== null) throw this.failure;
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequest(apiKey, version, correlationId, this.clientId, body);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new PeerConnectionError(`request ${apiKey} v${version} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.pending.push({ correlationId, apiKey, version, resolve: resolve as (body: unknown) => void, reject, timer });
      this.socket.write(frame);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.failure !== null) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 4 || size > PEER_RESPONSE_BYTES_MAX) return this.fail(new PeerConnectionError(`bad response frame size ${size}`));
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const request = this.pending.shift();
      if (request === undefined) return this.fail(new PeerConnectionError('response without a request'));
      clearTimeout(request.timer);
      try {
        const decoded = decodeResponse(request.apiKey, request.version, frame);
        if (decoded.correlationId !== request.correlationId) throw new PeerConnectionError('correlation id mismatch');
        request.resolve(decoded.body);
      } catch (error) {
        request.reject(error as Error);
        return this.fail(new PeerConnectionError('undecodable response', { cause: error }));
      }
    }
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    for (const request of this.pending.splice(0)) {
      clearTimeout(request.timer);
      request.reject(error);
    }
    this.socket.destroy();
  }

  close(): void {
    this.fail(new PeerConnectionError('closed'));
  }
}
