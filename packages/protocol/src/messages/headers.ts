/**
 * Request and response headers. The header version depends on the API and its version (flexible
 * versions use header v2 / v1 with tagged fields), so a request header is decoded in two steps:
 * peek at the API key and version, then read the header version the API table prescribes.
 */
import { ProtocolDecodeError } from '../primitives/errors.ts';
import type { Reader } from '../primitives/reader.ts';
import type { Writer } from '../primitives/writer.ts';
import { apis } from './api.ts';
import { RequestHeader, ResponseHeader } from './generated/index.ts';

export type RequestHeaderVersion = 0 | 1 | 2;
export type ResponseHeaderVersion = 0 | 1;

/** A decoded request header, with what the decoder learned about the API. */
export interface DecodedRequestHeader extends RequestHeader {
  /** The header version the request was read with. */
  headerVersion: RequestHeaderVersion;
  /** False when the API key is unknown or the version outside the API's valid versions: the body cannot be decoded. */
  supported: boolean;
}

const API_KEY_AND_VERSION_BYTES = 4;

/**
 * Reads a request header. For an unknown API key or version it still returns the key, version,
 * correlation id (and client id when it can be read as header v1) so the broker can answer with
 * UNSUPPORTED_VERSION; the reader then stands after whatever was read and the body is not parseable.
 */
export function decodeRequestHeader(reader: Reader): DecodedRequestHeader {
  const start = reader.ensure(API_KEY_AND_VERSION_BYTES + 4, 'request header');
  const apiKey = reader.buffer.readInt16BE(start);
  const apiVersion = reader.buffer.readInt16BE(start + 2);
  const api = apis[apiKey];
  if (api === undefined) {
    reader.offset = start + API_KEY_AND_VERSION_BYTES;
    const correlationId = reader.int32();
    let clientId: string | null = null;
    try {
      clientId = reader.nullableString();
    } catch (error) {
      if (!(error instanceof ProtocolDecodeError)) throw error;
    }
    return {
      requestApiKey: apiKey,
      requestApiVersion: apiVersion,
      correlationId,
      clientId,
      unknownTaggedFields: undefined,
      headerVersion: 1,
      supported: false,
    };
  }
  // the flexible range is open-ended, so a newer-than-known version still gets the right header
  // (clients send ApiVersions at their newest version and expect an error answer, not a hang up)
  const headerVersion = api.requestHeaderVersion(apiVersion);
  const header = RequestHeader.decode(reader, headerVersion) as DecodedRequestHeader;
  header.headerVersion = headerVersion;
  header.supported = apiVersion >= api.validVersions.min && apiVersion <= api.validVersions.max;
  return header;
}

export function encodeRequestHeader(writer: Writer, header: RequestHeader, headerVersion: RequestHeaderVersion): void {
  RequestHeader.encode(writer, header, headerVersion);
}

export function encodeResponseHeader(writer: Writer, correlationId: number, headerVersion: ResponseHeaderVersion): void {
  writer.int32(correlationId);
  if (headerVersion >= 1) writer.uint8(0); // no tagged fields
}

export function decodeResponseHeader(reader: Reader, headerVersion: ResponseHeaderVersion): ResponseHeader {
  return ResponseHeader.decode(reader, headerVersion);
}
