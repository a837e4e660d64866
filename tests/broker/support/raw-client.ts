/**
 * A minimal Kafka client over one raw socket for broker tests: sends request frames built with
 * the generated codecs and returns decoded responses in order. Also sends arbitrary bytes, for
 * bad-input tests, and reports whether the broker closed the connection.
 */
import { connect, type Socket } from 'node:net';
import { apis, decodeResponse, encodeRequest } from '@kafkaesque/protocol';

export class RawClient {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private readonly waiters: Array<(frame: Buffer | null) => void> = [];
  private nextCorrelationId = 1;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        for (const waiter of this.waiters.splice(0)) waiter(null);
        resolve();
      });
    });
  }

  static connect(bootstrap: string): Promise<RawClient> {
    const [host, port] = bootstrap.split(',')[0].split(':');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), host, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) break;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    }
  }

  nextFrame(): Promise<Buffer | null> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request without waiting (fields not given take their spec defaults); returns its correlation id. */
  send(apiKey: number, version: number, body: object, clientId: string | null = 'raw-test'): number {
    const correlationId = this.nextCorrelationId++;
    const full = { ...apis[apiKey].request.defaults(), ...body };
    this.socket.write(encodeRequest(apiKey, version, correlationId, clientId, full));
    return correlationId;
  }

  /** Reads the next response, decoded as (apiKey, version). Throws if the connection closed. */
  async receiveResponse<T = any>(apiKey: number, version: number): Promise<{ correlationId: number; body: T }> {
    const frame = await this.nextFrame();
    if (frame === null) throw new Error('connection closed by the broker');
    return decodeResponse<T>(apiKey, version, frame);
  }

  async request<T = any>(apiKey: number, version: number, body: object): Promise<T> {
    const correlationId = this.send(apiKey, version, body);
    const response = await this.receiveResponse<T>(apiKey, version);
    if (response.correlationId !== correlationId) throw new Error(`correlation id ${response.correlationId}, expected ${correlationId}`);
    return response.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
