/**
 * A small scripted broker for the client's tests: one node, topics in memory, answering
 * ApiVersions, Metadata, Produce, Fetch, ListOffsets, InitProducerId and SASL with the
 * protocol package's codecs. Tests inject faults (error codes for the next N requests of an API,
 * silence, dropped connections) and look at what the client sent.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import {
  ApiKey,
  apis,
  decodeRequest,
  encodeResponse,
  readBatchHeader,
  setBatchBaseOffset,
  BATCH_LOG_OVERHEAD_BYTES,
  type DecodedRequestHeader,
} from '@kafkaesque/protocol';

export interface FakePartition {
  batches: Buffer[];
  nextOffset: number;
}

export interface FakeTopic {
  name: string;
  topicId: string;
  partitions: FakePartition[];
}

export interface ReceivedRequest {
  header: DecodedRequestHeader;
  body: any;
}

type Fault = { apiKey: number; errorCode: number; remaining: number } | { apiKey: number; silent: true; remaining: number } | { apiKey: number; disconnect: true; remaining: number };

export interface FakeBrokerOptions {
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
  /** Versions advertised (defaults: every version the codecs know). */
  versions?: Record<number, { min: number; max: number }>;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  /** Serve TLS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

const SUPPORTED = [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.InitProducerId, ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate];

export class FakeBroker {
  readonly topics = new Map<string, FakeTopic>();
  readonly received: ReceivedRequest[] = [];
  private readonly faults: Fault[] = [];
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly options: FakeBrokerOptions;
  port = 0;
  readonly nodeId = 1;
  private nextProducerId = 1000n;

  constructor(options: FakeBrokerOptions = {}) {
    this.options = options;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = this.options.tls
      ? tls.createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (socket) => this.accept(socket))
      : net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  createTopic(name: string, partitionCount: number): FakeTopic {
    const topicId = Buffer.from(name.padEnd(16, '_').slice(0, 16)).toString('base64url');
    const topic: FakeTopic = { name, topicId, partitions: Array.from({ length: partitionCount }, () => ({ batches: [], nextOffset: 0 })) };
    this.topics.set(name, topic);
    return topic;
  }

  /** The next `count` requests of `apiKey` get `errorCode` in every partition/top-level slot. */
  failNext(apiKey: number, errorCode: number, count = 1): void {
    this.faults.push({ apiKey, errorCode, remaining: count });
  }

  /** The next `count` requests of `apiKey` get no answer. */
  silenceNext(apiKey: number, count = 1): void {
    this.faults.push({ apiKey, silent: true, remaining: count });
  }

  /** The connection is cut when the next `count` requests of `apiKey` arrive. */
  disconnectNext(apiKey: number, count = 1): void {
    this.faults.push({ apiKey, disconnect: true, remaining: count });
  }

  requestsOf(apiKey: number): ReceivedRequest[] {
    return this.received.filter((request) => request.header.requestApiKey === apiKey);
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        this.handle(socket, frame);
      }
    });
  }

  private takeFault(apiKey: number): Fault | null {
    const index = this.faults.findIndex((fault) => fault.apiKey === apiKey && fault.remaining > 0);
    if (index < 0) return null;
    const fault = this.faults[index];
    fault.remaining--;
    if (fault.remaining === 0) this.faults.splice(index, 1);
    return fault;
  }

  private handle(socket: net.Socket, frame: Buffer): void {
    const { header, body } = decodeRequest(frame);
    this.received.push({ header, body });
    const apiKey = header.requestApiKey;
    const version = header.requestApiVersion;
    const fault = this.takeFault(apiKey);
    if (fault && 'silent' in fault) return;
    if (fault && 'disconnect' in fault) {
      socket.destroy();
      return;
    }
    const errorCode = fault && 'errorCode' in fault ? fault.errorCode : 0;
    const response = this.respond(apiKey, version, body, errorCode);
    if (response === undefined) return; // acks=0
    socket.write(encodeResponse(apiKey, version, header.correlationId, response));
  }

  private respond(apiKey: number, version: number, body: any, errorCode: number): unknown {
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return this.apiVersions(errorCode);
      case ApiKey.Metadata:
        return this.metadata(body, errorCode);
      case ApiKey.Produce:
        return this.produce(body, errorCode);
      case ApiKey.Fetch:
        return this.fetch(body, version, errorCode);
      case ApiKey.ListOffsets:
        return this.listOffsets(body, errorCode);
      case ApiKey.InitProducerId:
        return { ...apis[apiKey].response.defaults(), errorCode, producerId: this.nextProducerId++, producerEpoch: 0 };
      case ApiKey.SaslHandshake: {
        const mechanism = this.options.sasl?.mechanism ?? 'PLAIN';
        return { ...apis[apiKey].response.defaults(), errorCode: body.mechanism === mechanism ? 0 : 33, mechanisms: [mechanism] };
      }
      case ApiKey.SaslAuthenticate:
        return this.saslAuthenticate(Buffer.from(body.authBytes));
      default:
        throw new Error(`fake broker: unexpected API ${apiKey}`);
    }
  }

  private scram: { clientFirstBare: string; serverFirst: string; nonce: string } | null = null;
  private readonly scramSalt = crypto.randomBytes(16);

  /** PLAIN, or the server side of SCRAM (RFC 5802) for the configured user. */
  private saslAuthenticate(message: Buffer): unknown {
    const sasl = this.options.sasl!;
    const answer = (errorCode: number, authBytes: Buffer, errorMessage: string | null = null) => ({
      ...apis[ApiKey.SaslAuthenticate].response.defaults(),
      errorCode,
      errorMessage,
      authBytes,
    });
    if (sasl.mechanism === 'PLAIN') {
      const ok = message.toString() === `\u0000${sasl.username}\u0000${sasl.password}`;
      return answer(ok ? 0 : 58, Buffer.alloc(0), ok ? null : 'bad credentials');
    }
    const hash = sasl.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    const text = message.toString();
    if (this.scram === null) {
      const clientFirstBare = text.slice(text.indexOf('n=', 2));
      const clientNonce = /r=([^,]+)/.exec(clientFirstBare)![1];
      const nonce = clientNonce + crypto.randomBytes(8).toString('base64url');
      const serverFirst = `r=${nonce},s=${this.scramSalt.toString('base64')},i=4096`;
      this.scram = { clientFirstBare, serverFirst, nonce };
      return answer(0, Buffer.from(serverFirst));
    }
    const { clientFirstBare, serverFirst } = this.scram;
    this.scram = null;
    const withoutProof = text.slice(0, text.lastIndexOf(',p='));
    const proof = Buffer.from(text.slice(text.lastIndexOf(',p=') + 3), 'base64');
    const salted = crypto.pbkdf2Sync(sasl.password, this.scramSalt, 4096, hash === 'sha256' ? 32 : 64, hash);
    const hmac = (key: Buffer, data: string) => crypto.createHmac(hash, key).update(data).digest();
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = crypto.createHash(hash).update(clientKey).digest();
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const expectedProof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
    if (!/n=([^,]+)/.exec(clientFirstBare) || /n=([^,]+)/.exec(clientFirstBare)![1] !== sasl.username || !expectedProof.equals(proof)) {
      return answer(58, Buffer.alloc(0), 'bad credentials');
    }
    return answer(0, Buffer.from(`v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`));
  }

  private apiVersions(errorCode: number): unknown {
    const apiKeys = SUPPORTED.filter((key) => key !== ApiKey.SaslHandshake || this.options.sasl).map((apiKey) => {
      const range = this.options.versions?.[apiKey] ?? apis[apiKey].validVersions;
      return { apiKey, minVersion: range.min, maxVersion: range.max };
    });
    return { ...apis[ApiKey.ApiVersions].response.defaults(), errorCode, apiKeys };
  }

  private metadata(body: any, errorCode: number): unknown {
    const wanted: string[] = body.topics === null ? [...this.topics.keys()] : body.topics.map((topic: { name: string }) => topic.name);
    const topics = wanted.map((name) => {
      let topic = this.topics.get(name);
      if (!topic && body.allowAutoTopicCreation && this.options.autoCreateTopics) topic = this.createTopic(name, this.options.defaultPartitions ?? 1);
      if (!topic) {
        return { errorCode: 3, name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 };
      }
      return {
        errorCode,
        name,
        topicId: topic.topicId,
        isInternal: false,
        partitions: topic.partitions.map((_, index) => ({
          errorCode: 0,
          partitionIndex: index,
          leaderId: this.nodeId,
          leaderEpoch: 0,
          replicaNodes: [this.nodeId],
          isrNodes: [this.nodeId],
          offlineReplicas: [],
        })),
        topicAuthorizedOperations: -2147483648,
      };
    });
    return {
      ...apis[ApiKey.Metadata].response.defaults(),
      brokers: [{ nodeId: this.nodeId, host: '127.0.0.1', port: this.port, rack: null }],
      clusterId: 'fake-cluster',
      controllerId: this.nodeId,
      topics,
    };
  }

  private produce(body: any, errorCode: number): unknown {
    const responses = body.topicData.map((topicData: any) => ({
      name: topicData.name,
      partitionResponses: topicData.partitionData.map((partitionData: any) => {
        const partition = this.topics.get(topicData.name)?.partitions[partitionData.index];
        if (!partition) return { ...partitionResult(partitionData.index), errorCode: 3 };
        if (errorCode !== 0) return { ...partitionResult(partitionData.index), errorCode };
        const records: Buffer = Buffer.from(partitionData.records);
        const baseOffset = partition.nextOffset;
        const header = readBatchHeader(records, 0);
        setBatchBaseOffset(records, 0, baseOffset);
        partition.batches.push(records.subarray(0, header.batchLength + BATCH_LOG_OVERHEAD_BYTES));
        partition.nextOffset += header.lastOffsetDelta + 1;
        return { ...partitionResult(partitionData.index), baseOffset: BigInt(baseOffset) };
      }),
    }));
    if (body.acks === 0) return undefined;
    return { ...apis[ApiKey.Produce].response.defaults(), responses };
  }

  private fetch(body: any, version: number, errorCode: number): unknown {
    const responses = body.topics.map((fetchTopic: any) => {
      const topic = version >= 13 ? [...this.topics.values()].find((candidate) => candidate.topicId === fetchTopic.topicId) : this.topics.get(fetchTopic.topic);
      return {
        topic: fetchTopic.topic,
        topicId: fetchTopic.topicId,
        partitions: fetchTopic.partitions.map((fetchPartition: any) => {
          const partition = topic?.partitions[fetchPartition.partition];
          const base = { partitionIndex: fetchPartition.partition, errorCode: 0, highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1, records: null as Buffer | null };
          if (!partition) return { ...base, errorCode: 3 };
          if (errorCode !== 0) return { ...base, errorCode };
          const offset = Number(fetchPartition.fetchOffset);
          const chosen: Buffer[] = [];
          let bytes = 0;
          for (const batch of partition.batches) {
            const header = readBatchHeader(batch, 0);
            if (header.baseOffset + header.lastOffsetDelta < offset) continue;
            if (bytes > 0 && bytes + batch.length > fetchPartition.partitionMaxBytes) break;
            chosen.push(batch);
            bytes += batch.length;
          }
          const highWatermark = BigInt(partition.nextOffset);
          if (offset > partition.nextOffset) return { ...base, errorCode: 1, highWatermark, lastStableOffset: highWatermark };
          return { ...base, highWatermark, lastStableOffset: highWatermark, records: chosen.length ? Buffer.concat(chosen) : Buffer.alloc(0) };
        }),
      };
    });
    return { ...apis[ApiKey.Fetch].response.defaults(), errorCode: 0, sessionId: 0, responses };
  }

  private listOffsets(body: any, errorCode: number): unknown {
    return {
      ...apis[ApiKey.ListOffsets].response.defaults(),
      topics: body.topics.map((requestTopic: any) => ({
        name: requestTopic.name,
        partitions: requestTopic.partitions.map((requestPartition: any) => {
          const partition = this.topics.get(requestTopic.name)?.partitions[requestPartition.partitionIndex];
          if (!partition) return { partitionIndex: requestPartition.partitionIndex, errorCode: 3, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          const offset = requestPartition.timestamp === -2n ? 0 : partition.nextOffset;
          return { partitionIndex: requestPartition.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: BigInt(offset), leaderEpoch: 0 };
        }),
      })),
    };
  }
}

function partitionResult(index: number) {
  return { index, errorCode: 0, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
}

export async function startFakeBroker(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
  return new FakeBroker(options).start();
}
