/**
 * One client connection: frames in, responses out in request order.
 *
 * Pipelining: frames are read ahead while earlier requests are handled, but requests of one
 * connection run one after the other, in arrival order, as in Kafka: a Produce is appended
 * before the ListOffsets sent after it on the same connection is answered (acks=0 relies on
 * it). A response is written as soon as its request is done, while the next one runs.
 * At most `inflightRequestsMax` requests are held (read, running, or answered but not yet
 * written); beyond that the socket stops being read (TCP backpressure to the client).
 *
 * Backpressure on writes: when socket.write() returns false we also stop reading until 'drain'.
 * Errors stay inside this connection: a bad frame closes this socket and nothing else.
 */
import type { Socket } from 'node:net';
import { FrameReader } from './frame-reader.ts';

export interface ConnectionLimits {
  requestBytesMax: number;
  inflightRequestsMax: number;
  idleTimeoutMs: number;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Free-form per-connection state for handlers (SASL state, fetch-session hints…). */
  readonly attributes: Map<string, unknown>;
}

/**
 * Handles one request frame (without size prefix). Returns the whole response frame (with its
 * size prefix), or null when the request gets no response (Produce with acks=0).
 * Throwing closes the connection (Kafka's behaviour for requests it cannot parse).
 */
export type FrameDispatcher = (frame: Buffer, connection: ConnectionInfo) => Promise<Buffer | null> | Buffer | null;

interface PendingRequest {
  done: boolean;
  response: Buffer | null;
}

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly attributes = new Map<string, unknown>();
  private readonly socket: Socket;
  private readonly limits: ConnectionLimits;
  private readonly dispatch: FrameDispatcher;
  private readonly frames: FrameReader;
  private readonly pending: PendingRequest[] = [];
  /** Frames already read (from one socket chunk) but waiting for an in-flight slot. */
  private readonly waiting: Buffer[] = [];
  /** Whether a request of this connection is being handled (requests run one at a time). */
  private running = false;
  private pumping = false;
  private pumpAgain = false;
  private waitingForDrain = false;
  private draining = false;
  private closed = false;
  private readonly closeWaiters: Array<() => void> = [];
  private readonly onClose: (connection: Connection) => void;
  private readonly onError: (connection: Connection, error: unknown) => void;

  constructor(
    id: number,
    socket: Socket,
    limits: ConnectionLimits,
    dispatch: FrameDispatcher,
    hooks: { onClose: (connection: Connection) => void; onError: (connection: Connection, error: unknown) => void },
  ) {
    this.id = id;
    this.socket = socket;
    this.limits = limits;
    this.dispatch = dispatch;
    this.frames = new FrameReader(limits.requestBytesMax);
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    this.onClose = hooks.onClose;
    this.onError = hooks.onError;
    socket.setNoDelay(true);
    if (limits.idleTimeoutMs > 0) socket.setTimeout(limits.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
    socket.on('timeout', () => {
      // Idle means nothing pending: a long poll in progress is not idleness.
      if (this.pending.length === 0 && this.waiting.length === 0) this.destroy();
    });
    socket.on('error', (error) => {
      this.onError(this, error);
      this.destroy();
    });
    socket.on('close', () => this.finishClose());
    socket.on('end', () => {
      // The client half-closed: answer what it sent, then close our side.
      this.draining = true;
      this.endIfDrained();
    });
  }

  get inflightCount(): number {
    return this.pending.length + this.waiting.length;
  }

  private receive(chunk: Buffer): void {
    if (this.closed || this.draining) return;
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      this.onError(this, error);
      this.destroy();
      return;
    }
    for (const frame of frames) this.waiting.push(frame);
    this.pump();
  }

  /**
   * Writes finished responses and starts the next request, until neither makes progress.
   * Re-entrant calls (a handler that answers synchronously) only ask for another round, so
   * thousands of tiny requests in one chunk never deepen the stack.
   */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.flush();
        if (!this.running && this.waiting.length > 0 && this.pending.length < this.limits.inflightRequestsMax && !this.closed) {
          this.start(this.waiting.shift()!);
          this.pumpAgain = true;
        }
      } while (this.pumpAgain && !this.closed);
    } finally {
      this.pumping = false;
    }
    this.updateReading();
    this.endIfDrained();
  }

  private start(frame: Buffer): void {
    const request: PendingRequest = { done: false, response: null };
    this.pending.push(request);
    let result: Promise<Buffer | null> | Buffer | null;
    try {
      result = this.dispatch(frame, this);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (result instanceof Promise) {
      this.running = true;
      result.then(
        (response) => this.complete(request, response),
        (error) => this.fail(error),
      );
    } else {
      this.complete(request, result);
    }
  }

  private complete(request: PendingRequest, response: Buffer | null): void {
    this.running = false;
    request.done = true;
    request.response = response;
    this.pump();
  }

  private fail(error: unknown): void {
    this.onError(this, error);
    this.destroy();
  }

  /** Writes every finished response at the head of the queue, corked into one syscall. */
  private flush(): void {
    if (this.closed) return;
    let corked = false;
    while (this.pending.length > 0 && this.pending[0].done) {
      const { response } = this.pending.shift()!;
      if (response === null) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      if (!this.socket.write(response)) this.waitingForDrain = true;
    }
    if (corked) this.socket.uncork();
  }

  private updateReading(): void {
    if (this.closed) return;
    const full = this.pending.length >= this.limits.inflightRequestsMax || this.waiting.length > 0;
    if (full || this.waitingForDrain || this.draining) this.socket.pause();
    else this.socket.resume();
  }

  /** Stops reading new requests, answers those already read, then closes. */
  drainAndClose(): Promise<void> {
    this.draining = true;
    this.updateReading();
    const closedPromise = new Promise<void>((resolve) => {
      if (this.closed) resolve();
      else this.closeWaiters.push(resolve);
    });
    this.endIfDrained();
    return closedPromise;
  }

  private endIfDrained(): void {
    if (this.draining && this.pending.length === 0 && this.waiting.length === 0 && !this.closed) this.socket.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finishClose();
  }

  private finishClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.waiting.length = 0;
    this.onClose(this);
    for (const resolve of this.closeWaiters.splice(0)) resolve();
  }
}
