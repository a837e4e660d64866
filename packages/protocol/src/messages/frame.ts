/**
 * Whole-frame helpers: Kafka frames are an int32 size, a header and a body. Encoders build the
 * frame in one Writer and patch the size in at the end, so a frame is one buffer and one write.
 */
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.ts';
import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import { apis } from './api.ts';
import type { ApiDefinition } from './codec.ts';
import { decodeRequestHeader, encodeResponseHeader, type DecodedRequestHeader } from './headers.ts';
import { RequestHeader } from './generated/index.ts';

const SIZE_PREFIX_BYTES = 4;

function apiFor(apiKey: number): ApiDefinition {
  const api = apis[apiKey];
  if (api === undefined) throw new ProtocolEncodeError(`unknown API key ${apiKey}`);
  return api;
}

/**
 * A request frame, size prefix included. `initialCapacityBytes` (optional) sizes the buffer up
 * front — pass the record bytes a Produce carries to spare the buffer regrowing and recopying.
 */
export function encodeRequest(
  apiKey: number,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
  initialCapacityBytes?: number,
): Buffer {
  const api = apiFor(apiKey);
  const writer = new Writer(initialCapacityBytes);
  writer.reserve(SIZE_PREFIX_BYTES);
  RequestHeader.encode(
    writer,
    { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId, unknownTaggedFields: undefined },
    api.requestHeaderVersion(version),
  );
  api.request.encode(writer, body, version);
  writer.patchInt32(0, writer.offset - SIZE_PREFIX_BYTES);
  return writer.finish();
}

/**
 * A response frame, size prefix included, with the header version the API and version call for.
 * `initialCapacityBytes` as for encodeRequest (e.g. the record bytes of a Fetch response).
 */
export function encodeResponse(
  apiKey: number,
  version: number,
  correlationId: number,
  body: unknown,
  initialCapacityBytes?: number,
): Buffer {
  const api = apiFor(apiKey);
  const writer = new Writer(initialCapacityBytes);
  writer.reserve(SIZE_PREFIX_BYTES);
  encodeResponseHeader(writer, correlationId, api.responseHeaderVersion(version));
  api.response.encode(writer, body, version);
  writer.patchInt32(0, writer.offset - SIZE_PREFIX_BYTES);
  return writer.finish();
}

/** Decodes a response frame (without its size prefix) for a request the caller sent. */
export function decodeResponse<T = any>(
  apiKey: number,
  version: number,
  frameWithoutSizePrefix: Uint8Array,
): { correlationId: number; body: T } {
  const api = apis[apiKey];
  if (api === undefined) throw new ProtocolDecodeError('version', `unknown API key ${apiKey}`);
  const reader = new Reader(frameWithoutSizePrefix);
  const correlationId = reader.int32();
  // response header v1 only adds a tagged-field section, which carries nothing we use
  if (api.responseHeaderVersion(version) >= 1) reader.taggedFields();
  const body = api.response.decode(reader, version) as T;
  return { correlationId, body };
}

/**
 * Decodes a request frame (without its size prefix). Throws ProtocolDecodeError of kind 'version'
 * for an unknown API or version; use decodeRequestHeader first to answer those with an error.
 */
export function decodeRequest<T = any>(frameWithoutSizePrefix: Uint8Array): { header: DecodedRequestHeader; body: T } {
  const reader = new Reader(frameWithoutSizePrefix);
  const header = decodeRequestHeader(reader);
  if (!header.supported) {
    throw new ProtocolDecodeError('version', `unsupported API ${header.requestApiKey} version ${header.requestApiVersion}`);
  }
  const body = apis[header.requestApiKey].request.decode(reader, header.requestApiVersion) as T;
  return { header, body };
}
