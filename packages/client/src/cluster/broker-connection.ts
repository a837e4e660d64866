/**
 * A connection to one broker that is ready for requests: connected, versions negotiated with
 * ApiVersions (the highest version both sides support, per API), and authenticated with SASL
 * when configured. Requests are typed by the API they use.
 */
import { Writer, type Reader } from '@kafkaesque/protocol';
import { Connection, type ConnectionOptions } from '../network/connection.ts';
import { createSaslExchange, type SaslOptions } from '../network/sasl.ts';
import { KafkaAuthenticationError, KafkaClientError, KafkaResponseError } from '../errors.ts';
import { Apis, isFlexible, type ClientApi } from './apis.ts';

const ERROR_UNSUPPORTED_VERSION = 35;
const CLIENT_SOFTWARE_NAME = 'kafkaesque-js';
const CLIENT_SOFTWARE_VERSION = '0.1.0';

export interface VersionRange {
  min: number;
  max: number;
}

export interface BrokerConnectionOptions extends ConnectionOptions {
  sasl?: SaslOptions;
}

export interface SendOptions {
  timeoutMs?: number;
  expectResponse?: boolean;
  topic?: string;
  partition?: number;
}

export class BrokerConnection {
  readonly connection: Connection;
  readonly nodeId: number;
  private readonly options: BrokerConnectionOptions;
  private versions: Map<number, VersionRange> = new Map();
  private readying: Promise<void> | null = null;
  private prepared = false;

  constructor(nodeId: number, options: BrokerConnectionOptions) {
    this.nodeId = nodeId;
    this.options = options;
    this.connection = new Connection(options);
  }

  get address(): string {
    return this.connection.address;
  }

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  /** Connects, negotiates versions and authenticates (once; later calls share the promise). */
  ready(): Promise<void> {
    this.readying ??= this.prepare().catch((error: unknown) => {
      this.connection.destroy(error as Error);
      throw error;
    });
    return this.readying;
  }

  private async prepare(): Promise<void> {
    await this.connection.connect();
    this.versions = await this.fetchApiVersions();
    if (this.options.sasl) await this.authenticate(this.options.sasl);
    this.prepared = true;
  }

  /** Connected, negotiated and authenticated, and not closed since. */
  get isReady(): boolean {
    return this.prepared && !this.connection.isClosed;
  }

  /** Broker ranges, keyed by API key. */
  get brokerVersions(): ReadonlyMap<number, VersionRange> {
    return this.versions;
  }

  /** The version to use for `api`: the highest both support, or a typed error if none. */
  versionFor(api: ClientApi<unknown, unknown>): number {
    const broker = this.versions.get(api.apiKey);
    if (!broker) {
      throw new KafkaClientError(`broker ${this.address} does not support ${api.name}`, { code: ERROR_UNSUPPORTED_VERSION, errorName: 'UNSUPPORTED_VERSION' });
    }
    const version = Math.min(broker.max, api.maxVersion);
    if (version < Math.max(broker.min, api.minVersion)) {
      throw new KafkaClientError(
        `no common ${api.name} version with ${this.address}: broker ${broker.min}-${broker.max}, client ${api.minVersion}-${api.maxVersion}`,
        { code: ERROR_UNSUPPORTED_VERSION, errorName: 'UNSUPPORTED_VERSION' },
      );
    }
    return version;
  }

  supports(api: ClientApi<unknown, unknown>): boolean {
    try {
      this.versionFor(api);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends `build(version)` with the negotiated version. */
  send<Request, Response>(api: ClientApi<Request, Response>, build: (version: number) => Request, options: SendOptions = {}): Promise<Response> {
    // once ready, no await before the request is queued (a produce round trip is latency-bound)
    if (!this.isReady) return this.ready().then(() => this.sendNow(api, build, options));
    return this.sendNow(api, build, options);
  }

  private sendNow<Request, Response>(api: ClientApi<Request, Response>, build: (version: number) => Request, options: SendOptions): Promise<Response> {
    try {
      const version = this.versionFor(api);
      return this.sendVersion(api, version, build(version), options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends without waiting for `ready()` (used during negotiation and authentication). */
  sendVersion<Request, Response>(api: ClientApi<Request, Response>, version: number, request: Request, options: SendOptions = {}): Promise<Response> {
    const flexible = isFlexible(api.request as ClientApi<unknown, unknown>['request'], version);
    return this.connection.send<Response>({
      apiKey: api.apiKey,
      apiName: api.name,
      apiVersion: version,
      flexibleRequestHeader: flexible,
      flexibleResponseHeader: flexible && api.apiKey !== Apis.ApiVersions.apiKey,
      encodeBody: (writer: Writer) => api.request.encode(writer, request, version),
      decodeBody: (reader: Reader) => api.response.decode(reader, version),
      expectResponse: options.expectResponse,
      timeoutMs: options.timeoutMs,
      context: { topic: options.topic, partition: options.partition },
    });
  }

  private async fetchApiVersions(): Promise<Map<number, VersionRange>> {
    const api = Apis.ApiVersions;
    let version = api.maxVersion;
    for (let attempt = 0; attempt < 2; attempt++) {
      const request = { ...api.request.defaults(), clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
      const requestVersion = version;
      const response = await this.connection.send({
        apiKey: api.apiKey,
        apiName: api.name,
        apiVersion: requestVersion,
        flexibleRequestHeader: isFlexible(api.request as ClientApi<unknown, unknown>['request'], requestVersion),
        flexibleResponseHeader: false,
        encodeBody: (writer: Writer) => api.request.encode(writer, request, requestVersion),
        // KIP-511: a broker that does not know our version answers UNSUPPORTED_VERSION in v0 form
        decodeBody: (reader: Reader) => {
          const errorCode = reader.buffer.readInt16BE(reader.offset);
          return api.response.decode(reader, errorCode === ERROR_UNSUPPORTED_VERSION ? 0 : requestVersion);
        },
      });
      const ranges = new Map<number, VersionRange>();
      for (const key of response.apiKeys) ranges.set(key.apiKey, { min: key.minVersion, max: key.maxVersion });
      if (response.errorCode === ERROR_UNSUPPORTED_VERSION) {
        const theirs = ranges.get(api.apiKey);
        version = theirs ? Math.min(theirs.max, api.maxVersion) : 0;
        continue;
      }
      if (response.errorCode !== 0) {
        throw new KafkaResponseError(response.errorCode, { apiName: api.name, apiKey: api.apiKey, apiVersion: requestVersion, broker: this.address });
      }
      return ranges;
    }
    throw new KafkaClientError(`ApiVersions negotiation with ${this.address} failed`, { code: ERROR_UNSUPPORTED_VERSION, errorName: 'UNSUPPORTED_VERSION' });
  }

  private async authenticate(sasl: SaslOptions): Promise<void> {
    const handshakeVersion = this.versionFor(Apis.SaslHandshake);
    const handshake = await this.sendVersion(Apis.SaslHandshake, handshakeVersion, { ...Apis.SaslHandshake.request.defaults(), mechanism: sasl.mechanism });
    if (handshake.errorCode !== 0) {
      throw new KafkaAuthenticationError(
        `broker ${this.address} does not accept SASL ${sasl.mechanism} (enabled: ${handshake.mechanisms.join(', ')})`,
        handshake.errorCode,
      );
    }
    const authVersion = this.versionFor(Apis.SaslAuthenticate);
    const exchange = createSaslExchange(sasl);
    let message = exchange.next(null);
    while (message !== null) {
      const response = await this.sendVersion(Apis.SaslAuthenticate, authVersion, { ...Apis.SaslAuthenticate.request.defaults(), authBytes: message });
      if (response.errorCode !== 0) {
        throw new KafkaAuthenticationError(`SASL ${sasl.mechanism} authentication with ${this.address} failed: ${response.errorMessage ?? ''}`, response.errorCode);
      }
      message = exchange.next(response.authBytes);
    }
  }

  close(): void {
    this.connection.close();
  }
}
