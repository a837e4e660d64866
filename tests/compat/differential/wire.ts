// A minimal raw Kafka connection for the differential harness: it frames requests with our
// generated codecs (@kafkaesque/protocol) and decodes the responses, nothing else — no retries,
// no metadata, so each broker sees exactly the scripted requests.
import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '@kafkaesque/protocol';

/** A scripted scenario's responses are small; anything bigger is a bug, not data. */
const responseBytesMax = 16 * 1024 * 1024;
const requestTimeoutMs = 30_000;

interface Pending { apiKey: number; version: number; resolve(body: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }

export class WireConnection {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  #buffered: Buffer = Buffer.alloc(0);
  #nextCorrelationId = 1;
  #closedError: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (error) => this.#failAll(error));
    socket.on('close', () => this.#failAll(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new WireConnection(socket));
      });
    });
  }

  /** Sends one request and resolves with the decoded response body. */
  send<T = any>(apiKey: number, version: number, body: unknown): Promise<T> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const correlationId = this.#nextCorrelationId++;
    const frame = encodeRequest(apiKey, version, correlationId, 'kafkaesque-differential', body);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(new Error(`no response to api ${apiKey} v${version} in ${requestTimeoutMs} ms`));
      }, requestTimeoutMs);
      this.#pending.set(correlationId, { apiKey, version, resolve: resolve as (body: unknown) => void, reject, timer });
      this.#socket.write(frame);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    while (this.#buffered.length >= 4) {
      const size = this.#buffered.readInt32BE(0);
      if (size < 4 || size > responseBytesMax) {
        this.#failAll(new Error(`bad response size ${size}`));
        this.#socket.destroy();
        return;
      }
      if (this.#buffered.length < 4 + size) return;
      const frame = this.#buffered.subarray(4, 4 + size);
      this.#buffered = this.#buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const pending = this.#pending.get(correlationId);
      if (pending === undefined) continue;
      this.#pending.delete(correlationId);
      clearTimeout(pending.timer);
      try {
        pending.resolve(decodeResponse(pending.apiKey, pending.version, frame).body);
      } catch (error) {
        pending.reject(error as Error);
      }
    }
  }

  #failAll(error: Error): void {
    this.#closedError ??= error;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }
}
