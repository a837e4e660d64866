/**
 * One TCP (or TLS) connection to one broker: size-prefixed framing, correlation ids, pipelined
 * requests with a bounded number in flight, per-request deadlines, and write batching.
 *
 * Kafka answers the requests of one connection in order, so the in-flight requests form a FIFO
 * queue; a response whose correlation id is not the head's means the stream is corrupt, and the
 * connection is closed. A request that times out closes the connection too (as the Java client
 * does): later responses could not be matched reliably otherwise.
 *
 * All requests queued in one synchronous run leave in one `writev` (cork/uncork); when the socket reports
 * backpressure (`write()` returned false) nothing more is written until `drain`.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Reader, Writer } from '@kafkaesque/protocol';
import { KafkaConnectionError, KafkaTimeoutError, KafkaClientError, type RequestContext } from '../errors.ts';
import { channels } from '../diagnostics.ts';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string | null;
  /** `true` for TLS with Node's defaults, or node:tls options (ca, cert, key, servername, …). */
  tls?: boolean | tls.ConnectionOptions;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Requests written but not yet answered; more wait in the send queue. */
  inflightRequestsMax?: number;
  /** Requests waiting to be written; beyond this `send` rejects (the caller is not backing off). */
  queuedRequestsMax?: number;
  /** A response larger than this closes the connection (protects against garbage lengths). */
  responseBytesMax?: number;
}

/** Everything the connection needs to frame one request and decode its response. */
export interface OutgoingRequest<Response> {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  /** Request header v2 (flexible) instead of v1. */
  flexibleRequestHeader: boolean;
  /** Response header v1 (with tagged fields) instead of v0. */
  flexibleResponseHeader: boolean;
  encodeBody(writer: Writer): void;
  decodeBody(reader: Reader): Response;
  /** false for Produce with acks=0: the broker sends nothing back. */
  expectResponse?: boolean;
  /** Overrides requestTimeoutMs (e.g. Fetch adds its maxWaitMs). */
  timeoutMs?: number;
  /** Topic/partition for error messages. */
  context?: Partial<RequestContext>;
}

interface InflightEntry {
  correlationId: number;
  request: OutgoingRequest<unknown>;
  deadlineMs: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
export const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
export const INFLIGHT_REQUESTS_MAX_DEFAULT = 64;
export const QUEUED_REQUESTS_MAX_DEFAULT = 100_000;
export const RESPONSE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
const SIZE_PREFIX_BYTES = 4;
/** The reused read buffer of a plain TCP connection (one per connection). */
const READ_BUFFER_BYTES = 64 * 1024;
const CORRELATION_ID_MAX = 0x7fffffff;

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  private readonly options: ConnectionOptions;
  private socket: net.Socket | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private nextCorrelationId = 0;
  /** Written, awaiting their response, oldest first. */
  private readonly inflight: InflightEntry[] = [];
  private inflightHead = 0;
  /** Encoded, not yet written (in-flight bound reached, backpressure, or before the next flush). */
  private readonly queued: { frame: Buffer; entry: InflightEntry | null }[] = [];
  private flushScheduled = false;
  private writable = true;
  /**
   * Plain TCP reads land in this one reused buffer (net's `onread`), sparing a fresh 64 KiB
   * allocation and the stream machinery per read; every frame is copied out of it into a buffer
   * of its own (decoded responses keep zero-copy views of their frame).
   */
  private readBuffer: Buffer | null = null;
  /** The frame being received (size known, body incomplete), and how much of it has arrived. */
  private partialFrame: Buffer | null = null;
  private partialFilled = 0;
  /** A size prefix split across reads. */
  private readonly prefix = Buffer.alloc(SIZE_PREFIX_BYTES);
  private prefixFilled = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineTimerAtMs = Infinity;
  private readonly onCloseListeners = new Set<(error: Error | null) => void>();

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.host = options.host;
    this.port = options.port;
    this.address = `${options.host}:${options.port}`;
  }

  get isConnected(): boolean {
    return this.socket !== null && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests sent or waiting to be sent that have not completed. */
  get pendingRequestCount(): number {
    return this.inflight.length - this.inflightHead + this.queued.length;
  }

  onClose(listener: (error: Error | null) => void): () => void {
    this.onCloseListeners.add(listener);
    return () => this.onCloseListeners.delete(listener);
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new KafkaConnectionError(`connection to ${this.address} is closed`));
    this.connecting ??= this.openSocket();
    return this.connecting;
  }

  private openSocket(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT;
    return new Promise<void>((resolve, reject) => {
      const tlsOptions = this.options.tls;
      const readyEvent = tlsOptions ? 'secureConnect' : 'connect';
      const socket = tlsOptions
        ? tls.connect({ host: this.host, port: this.port, servername: net.isIP(this.host) ? undefined : this.host, ...(tlsOptions === true ? {} : tlsOptions) })
        : net.connect({
            host: this.host,
            port: this.port,
            onread: {
              buffer: () => (this.readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES)),
              callback: (bytesRead: number, buffer: Uint8Array) => {
                this.onBytes(buffer as Buffer, bytesRead);
                return true;
              },
            },
          });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        fail(new KafkaConnectionError(`connect to ${this.address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.connecting = null;
        this.closed = true;
        reject(error instanceof KafkaClientError ? error : new KafkaConnectionError(`connect to ${this.address} failed: ${error.message}`, { cause: error }));
        this.failAll(error);
      };
      socket.once('error', fail);
      socket.once(readyEvent, () => {
        clearTimeout(timer);
        socket.off('error', fail);
        this.socket = socket;
        // TLS sockets deliver 'data' chunks (plain TCP ones go through onread above)
        if (tlsOptions) socket.on('data', (chunk: Buffer) => this.onBytes(chunk, chunk.length));
        socket.on('drain', () => {
          this.writable = true;
          this.flush();
        });
        socket.on('error', (error) => this.destroy(new KafkaConnectionError(`connection to ${this.address} failed: ${error.message}`, { cause: error })));
        socket.on('close', () => this.destroy(new KafkaConnectionError(`connection to ${this.address} closed by the broker`)));
        channels.connect.publish({ address: this.address });
        resolve();
        this.scheduleFlush();
      });
    });
  }

  /** Sends a request (connecting first if needed) and resolves with the decoded response. */
  send<Response>(request: OutgoingRequest<Response>): Promise<Response> {
    if (this.closed) {
      return Promise.reject(new KafkaConnectionError(`connection to ${this.address} is closed`, { request: this.contextOf(request) }));
    }
    const queuedMax = this.options.queuedRequestsMax ?? QUEUED_REQUESTS_MAX_DEFAULT;
    if (this.queued.length >= queuedMax) {
      return Promise.reject(new KafkaClientError(`more than ${queuedMax} requests queued for ${this.address}`, { retriable: true, request: this.contextOf(request) }));
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === CORRELATION_ID_MAX ? 0 : correlationId + 1;
    let frame: Buffer;
    try {
      frame = this.encode(request, correlationId);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs = request.timeoutMs ?? this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    if (request.expectResponse === false) {
      this.queued.push({ frame, entry: null });
      this.ensureConnectedAndFlush();
      return Promise.resolve(undefined as Response);
    }
    return new Promise<Response>((resolve, reject) => {
      const entry: InflightEntry = {
        correlationId,
        request,
        deadlineMs: Date.now() + timeoutMs,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      this.queued.push({ frame, entry });
      this.ensureConnectedAndFlush();
    });
  }

  private ensureConnectedAndFlush(): void {
    if (this.socket) {
      this.scheduleFlush();
    } else {
      // connect() flushes once connected; a failed connect rejects what is queued
      this.connect().catch(() => {});
    }
  }

  private encode(request: OutgoingRequest<unknown>, correlationId: number): Buffer {
    const writer = new Writer(512);
    writer.int32(0); // size, patched below
    writer.int16(request.apiKey).int16(request.apiVersion).int32(correlationId);
    writer.nullableString(this.options.clientId);
    if (request.flexibleRequestHeader) writer.uvarint(0); // no tagged fields
    request.encodeBody(writer);
    writer.patchInt32(0, writer.offset - SIZE_PREFIX_BYTES);
    return writer.finish();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // a microtask, not nextTick: nextTicks wait until the whole microtask queue is drained, and a
    // consumer working through fetched records in promise callbacks would delay the next fetch
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Writes queued frames, up to the in-flight bound, as one corked batch. */
  private flush(): void {
    const socket = this.socket;
    if (!socket || this.closed || !this.writable || this.queued.length === 0) return;
    const inflightMax = this.options.inflightRequestsMax ?? INFLIGHT_REQUESTS_MAX_DEFAULT;
    let written = 0;
    socket.cork();
    while (written < this.queued.length && this.inflight.length - this.inflightHead < inflightMax) {
      const { frame, entry } = this.queued[written++];
      if (entry) {
        this.inflight.push(entry);
        this.armDeadline(entry.deadlineMs);
        if (channels.request.hasSubscribers) channels.request.publish({ address: this.address, apiName: entry.request.apiName, apiVersion: entry.request.apiVersion, correlationId: entry.correlationId });
      }
      if (!socket.write(frame)) this.writable = false;
      if (!this.writable) break;
    }
    socket.uncork();
    this.queued.splice(0, written);
  }

  /**
   * Splits received bytes into frames. `bytes` may be reused by the next read, so every frame is
   * copied into its own buffer: small ones whole, a large one chunk by chunk into a buffer of its
   * declared size (one copy, however many reads it takes).
   */
  private onBytes(bytes: Buffer, length: number): void {
    let at = 0;
    while (at < length && !this.closed) {
      const partial = this.partialFrame;
      if (partial !== null) {
        const count = Math.min(length - at, partial.length - this.partialFilled);
        bytes.copy(partial, this.partialFilled, at, at + count);
        this.partialFilled += count;
        at += count;
        if (this.partialFilled === partial.length) {
          this.partialFrame = null;
          this.onFrame(partial);
        }
        continue;
      }
      let size: number;
      if (this.prefixFilled > 0 || length - at < SIZE_PREFIX_BYTES) {
        const count = Math.min(length - at, SIZE_PREFIX_BYTES - this.prefixFilled);
        bytes.copy(this.prefix, this.prefixFilled, at, at + count);
        this.prefixFilled += count;
        at += count;
        if (this.prefixFilled < SIZE_PREFIX_BYTES) return;
        this.prefixFilled = 0;
        size = this.prefix.readInt32BE(0);
      } else {
        size = bytes.readInt32BE(at);
        at += SIZE_PREFIX_BYTES;
      }
      const sizeMax = this.options.responseBytesMax ?? RESPONSE_BYTES_MAX_DEFAULT;
      if (size < SIZE_PREFIX_BYTES || size > sizeMax) {
        this.destroy(new KafkaConnectionError(`invalid response size ${size} from ${this.address}`));
        return;
      }
      const frame = Buffer.allocUnsafe(size);
      if (length - at >= size) {
        bytes.copy(frame, 0, at, at + size);
        at += size;
        this.onFrame(frame);
      } else {
        this.partialFrame = frame;
        this.partialFilled = 0;
      }
    }
  }

  private onFrame(frame: Buffer): void {
    const entry = this.inflight[this.inflightHead];
    const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : -1;
    if (!entry || entry.correlationId !== correlationId) {
      this.destroy(new KafkaConnectionError(`unexpected correlation id ${correlationId} from ${this.address}`));
      return;
    }
    this.inflight[this.inflightHead++] = undefined as unknown as InflightEntry;
    if (this.inflightHead > 1024 && this.inflightHead * 2 > this.inflight.length) {
      this.inflight.splice(0, this.inflightHead);
      this.inflightHead = 0;
    }
    let response: unknown;
    try {
      const reader = new Reader(frame, 4);
      if (entry.request.flexibleResponseHeader) reader.taggedFields();
      response = entry.request.decodeBody(reader);
    } catch (error) {
      const cause = error as Error;
      entry.reject(new KafkaConnectionError(`cannot decode ${entry.request.apiName} v${entry.request.apiVersion} response from ${this.address}: ${cause.message}`, { cause, retriable: false, request: this.contextOf(entry.request) }));
      this.scheduleFlush();
      return;
    }
    if (channels.response.hasSubscribers) channels.response.publish({ address: this.address, apiName: entry.request.apiName, correlationId });
    entry.resolve(response);
    if (this.queued.length > 0) this.scheduleFlush();
  }

  private armDeadline(deadlineMs: number): void {
    if (deadlineMs >= this.deadlineTimerAtMs) return;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimerAtMs = deadlineMs;
    this.deadlineTimer = setTimeout(() => this.checkDeadlines(), Math.max(0, deadlineMs - Date.now()) + 1);
    this.deadlineTimer.unref();
  }

  private checkDeadlines(): void {
    this.deadlineTimer = null;
    this.deadlineTimerAtMs = Infinity;
    const nowMs = Date.now();
    let earliestMs = Infinity;
    for (let i = this.inflightHead; i < this.inflight.length; i++) {
      const entry = this.inflight[i];
      if (entry.deadlineMs <= nowMs) {
        const request = entry.request;
        this.destroy(new KafkaTimeoutError(`${request.apiName} v${request.apiVersion} to ${this.address} timed out`, this.contextOf(request)));
        return;
      }
      earliestMs = Math.min(earliestMs, entry.deadlineMs);
    }
    if (earliestMs !== Infinity) this.armDeadline(earliestMs);
  }

  private contextOf(request: OutgoingRequest<unknown>): RequestContext {
    return { apiName: request.apiName, apiKey: request.apiKey, apiVersion: request.apiVersion, broker: this.address, ...request.context };
  }

  /** Closes the connection; pending requests fail with `error` (or a retriable closed error). */
  destroy(error: Error | null = null): void {
    if (this.closed && this.socket === null) return;
    this.closed = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    this.failAll(error ?? new KafkaConnectionError(`connection to ${this.address} was closed`));
    channels.disconnect.publish({ address: this.address, error });
    for (const listener of this.onCloseListeners) listener(error);
    this.onCloseListeners.clear();
  }

  close(): void {
    this.destroy(null);
  }

  private failAll(error: Error): void {
    const inflight = this.inflight.splice(this.inflightHead);
    this.inflight.length = 0;
    this.inflightHead = 0;
    const queued = this.queued.splice(0);
    for (const entry of inflight) entry.reject(this.withContext(error, entry.request));
    for (const { entry } of queued) entry?.reject(this.withContext(error, entry.request));
  }

  /** Gives every failed request its own error naming its API (the cause is shared). */
  private withContext(error: Error, request: OutgoingRequest<unknown>): Error {
    if (error instanceof KafkaTimeoutError) {
      return new KafkaTimeoutError(error.message, this.contextOf(request));
    }
    if (error instanceof KafkaClientError && error.request?.apiName === request.apiName) return error;
    if (error instanceof KafkaClientError) {
      return new KafkaConnectionError(error.message, { request: this.contextOf(request), cause: error, retriable: error.retriable });
    }
    return new KafkaConnectionError(error.message, { request: this.contextOf(request), cause: error });
  }
}
