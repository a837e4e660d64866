/**
 * The contract between the request dispatcher and the one-file-per-API handlers
 * (see README.md in this folder for how to add one).
 */
import type { MessageCodec } from '@kafkaesque/protocol';
import type { BrokerConfig } from '../config/broker-config.ts';
import type { FetchSessionCache } from '../fetch/sessions.ts';
import type { LogManager } from '../log/api.ts';
import type { MetadataStore } from '../metadata/store.ts';
import type { ProducerIdManager } from '../producer/producer-ids.ts';
import type { ConnectionInfo } from '../network/connection.ts';
import type { ReplicaManager } from '../replica/replica-manager.ts';

/** Everything a handler may use, shared by all requests of one broker. */
export interface BrokerServices {
  readonly brokerId: number;
  readonly config: BrokerConfig;
  readonly metadata: MetadataStore;
  readonly logs: LogManager;
  /** Partitions led / followed here: appends (with acks), reads, long-poll waits. */
  readonly replicas: ReplicaManager;
  /** Producer ids for InitProducerId (unique across the cluster and restarts). */
  readonly producerIds: ProducerIdManager;
  /** Incremental fetch sessions (KIP-227) of this broker. */
  readonly fetchSessions: FetchSessionCache;
  /** The APIs this broker serves (ApiVersions reads it). */
  readonly handlers: HandlerRegistry;
  /**
   * Services that other areas plug in at broker start (see BrokerPlugin), by name:
   * 'groups' (group coordinator), 'transactions', … Typed accessors live with their owners.
   */
  readonly extensions: ReadonlyMap<string, unknown>;
  /** Wall clock in ms (tests may fake it). */
  now(): number;
  /** True once shutdown began: long polls return early. */
  readonly shuttingDown: boolean;
}

/** One request as the handler sees it. */
export interface RequestContext {
  readonly services: BrokerServices;
  readonly connection: ConnectionInfo;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** When the frame was read (ms), for timeouts measured from receipt. */
  readonly receivedAtMs: number;
}

export interface ApiHandler<Request = any, Response = any> {
  readonly apiKey: number;
  /** Kafka's API name, e.g. 'Produce'. */
  readonly name: string;
  /** Versions advertised in ApiVersions and accepted; others close the connection. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Generated codecs from @kafkaesque/protocol. */
  readonly request: MessageCodec<Request>;
  readonly response: MessageCodec<Response>;
  /**
   * Handles a decoded request. Returns the response, or null when none is sent (Produce acks=0).
   * Kafka errors travel inside the response; throwing is for the unexpected and is answered
   * with `errorResponse` (UNKNOWN_SERVER_ERROR) when given, else by closing the connection.
   */
  handle(context: RequestContext, request: Request): Promise<Response | null> | Response | null;
  /** A response carrying `errorCode` for every element of `request` (Kafka's getErrorResponse). */
  errorResponse?(context: RequestContext, request: Request, errorCode: number): Response | null;
  /** Expected encoded size, so a large response (Fetch) is built without regrowing buffers. */
  responseSizeHint?(response: Response): number;
  /**
   * Answers a request whose version is outside [minVersion, maxVersion] instead of closing the
   * connection (only ApiVersions does, KIP-511): the response and the version to encode it in.
   */
  unsupportedVersion?(context: RequestContext): { response: Response; version: number };
}

/** Identity helper that gives handler files type inference. */
export function defineHandler<Request, Response>(handler: ApiHandler<Request, Response>): ApiHandler<Request, Response> {
  return handler;
}

/** A service plugged into the broker by another area (groups, transactions, dashboard…). */
export interface BrokerPlugin {
  readonly name: string;
  /** The object handlers get from `services.extensions.get(name)`. */
  readonly service: unknown;
  start?(): Promise<void> | void;
  /** Called on shutdown after the listeners stopped accepting and in-flight requests finished. */
  stop?(): Promise<void> | void;
}

export type BrokerPluginFactory = (services: BrokerServices) => BrokerPlugin | Promise<BrokerPlugin>;

export class HandlerRegistry {
  private readonly byKey = new Map<number, ApiHandler>();

  register(handler: ApiHandler): void {
    const existing = this.byKey.get(handler.apiKey);
    if (existing !== undefined) {
      throw new Error(`API key ${handler.apiKey} registered twice (${existing.name}, ${handler.name})`);
    }
    if (handler.minVersion < handler.request.validVersions.min || handler.maxVersion > handler.request.validVersions.max) {
      throw new Error(`${handler.name}: versions ${handler.minVersion}-${handler.maxVersion} exceed the codec's`);
    }
    this.byKey.set(handler.apiKey, handler);
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.byKey.get(apiKey);
  }

  /** Every registered handler by API key, as ApiVersions lists them. */
  all(): ApiHandler[] {
    return [...this.byKey.values()].sort((a, b) => a.apiKey - b.apiKey);
  }
}
