// Our side of the wire for the record-batch cross-check: one socket, one request at a time,
// frames built and read with @kafkaesque/protocol's codecs only (no client library in between,
// so what librdkafka later reads is exactly what our encoder produced).
import { connect, type Socket } from 'node:net';
import { ApiKey, apis, decodeResponse, encodeRequest, ErrorCode, type CreateTopicsResponse, type ProduceResponse } from '@kafkaesque/protocol';

/** Largest response frame accepted; the cross-check's responses are a few hundred bytes. */
const responseFrameBytesMax = 16 * 1024 * 1024;
/** A request unanswered this long fails the test instead of hanging it. */
const requestTimeoutMs = 30_000;
const createTopicsVersion = 5;
const produceVersion = 9;

export class RawKafka {
  readonly #socket: Socket;
  #buffered: Buffer = Buffer.alloc(0);
  #pending: { resolve: (frame: Buffer) => void; reject: (error: Error) => void } | undefined;
  #correlationId = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('broker closed the connection')));
  }

  static connect(bootstrap: string): Promise<RawKafka> {
    const [host, port] = bootstrap.split(',')[0]!.split(':');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), host!, () => {
        socket.off('error', reject);
        resolve(new RawKafka(socket));
      });
      socket.once('error', reject);
    });
  }

  #fail(error: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }

  #receive(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    if (this.#buffered.length < 4) return;
    const size = this.#buffered.readInt32BE(0);
    if (size < 0 || size > responseFrameBytesMax) {
      this.#fail(new Error(`response frame of ${size} bytes`));
      this.#socket.destroy();
      return;
    }
    if (this.#buffered.length < 4 + size) return;
    const frame = this.#buffered.subarray(4, 4 + size);
    this.#buffered = this.#buffered.subarray(4 + size);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve(frame);
  }

  async request<T>(apiKey: number, version: number, body: object): Promise<T> {
    if (this.#pending) throw new Error('one request at a time');
    const correlationId = ++this.#correlationId;
    const frame = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error(`no answer to api ${apiKey} in ${requestTimeoutMs} ms`)), requestTimeoutMs);
      this.#pending = {
        resolve: (received) => { clearTimeout(timer); resolve(received); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      };
      this.#socket.write(encodeRequest(apiKey, version, correlationId, 'record-batch-crosscheck', { ...apis[apiKey]!.request.defaults(), ...body }));
    });
    const response = decodeResponse<T>(apiKey, version, frame);
    if (response.correlationId !== correlationId) throw new Error(`correlation id ${response.correlationId}, expected ${correlationId}`);
    return response.body;
  }

  /** Creates a one-partition topic; fails unless the broker reports success. */
  async createTopic(name: string): Promise<void> {
    const response = await this.request<CreateTopicsResponse>(ApiKey.CreateTopics, createTopicsVersion, {
      topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    const result = response.topics[0];
    if (result?.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics ${name}: error ${result?.errorCode} ${result?.errorMessage ?? ''}`);
  }

  /** Produces one record batch (acks=all) to partition 0; returns the base offset assigned. */
  async produce(topic: string, batch: Buffer): Promise<number> {
    const response = await this.request<ProduceResponse>(ApiKey.Produce, produceVersion, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
    });
    const partition = response.responses[0]?.partitionResponses[0];
    if (partition?.errorCode !== ErrorCode.NONE) {
      throw new Error(`Produce ${topic}: error ${partition?.errorCode} ${partition?.errorMessage ?? ''}`);
    }
    return Number(partition.baseOffset);
  }

  close(): void {
    this.#socket.destroy();
  }
}
