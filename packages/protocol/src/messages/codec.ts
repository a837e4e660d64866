/**
 * The shape every generated message codec has. Codecs are plain objects (no classes) so the
 * broker and client can keep them in tables keyed by API key.
 */
import type { Reader } from '../primitives/reader.ts';
import type { Writer } from '../primitives/writer.ts';

/** An inclusive version range; an open-ended spec range ("9+") has max 32767. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export type MessageType = 'request' | 'response' | 'data' | 'header';

export interface MessageCodec<T> {
  readonly name: string;
  /** The API key for requests and responses; null for data records and headers. */
  readonly apiKey: number | null;
  readonly messageType: MessageType;
  readonly validVersions: VersionRange;
  /** Versions that use compact forms and tagged fields; null if none do. */
  readonly flexibleVersions: VersionRange | null;
  /** Writes `message` as `version`; throws ProtocolEncodeError for data the version cannot carry. */
  encode(writer: Writer, message: T, version: number): void;
  /** Reads one message of `version`; bad input throws only ProtocolDecodeError. */
  decode(reader: Reader, version: number): T;
  /** A fresh message with every field at its spec default. */
  defaults(): T;
}

export interface ApiDefinition {
  readonly apiKey: number;
  /** The API name as Kafka spells it without the Request suffix, e.g. 'Produce'. */
  readonly name: string;
  readonly request: MessageCodec<any>;
  readonly response: MessageCodec<any>;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
  /** 0 only for ControlledShutdown v0; 2 in flexible versions; 1 otherwise. */
  requestHeaderVersion(version: number): 0 | 1 | 2;
  /** 1 in flexible versions, except ApiVersions whose responses always use header v0. */
  responseHeaderVersion(version: number): 0 | 1;
}

export function isVersionIn(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}
