/**
 * Turns one request frame into one response frame: reads the request header, finds the
 * handler, decodes the body with the generated codec, runs the handler and encodes the
 * response with the right header version.
 *
 * Kafka's rules for bad requests, which we follow: an unknown API key, a version the handler
 * does not serve (except ApiVersions, KIP-511) or a body that does not decode closes the
 * connection; a handler failure is answered with UNKNOWN_SERVER_ERROR when the handler can
 * build an error response.
 */
import { Reader, Writer, ProtocolDecodeError } from '@kafkaesque/protocol';
import type { ConnectionInfo } from '../network/connection.ts';
import type { ApiHandler, BrokerServices, RequestContext } from './types.ts';

const API_VERSIONS_KEY = 18;
const UNKNOWN_SERVER_ERROR = -1;
/** Header: api key, api version, correlation id, client id length. */
const HEADER_BYTES_MIN = 10;

export class RequestRejectedError extends Error {
  readonly code = 'REQUEST_REJECTED';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RequestRejectedError';
  }
}

export interface DispatchHooks {
  /** Unexpected handler failures (logged by the broker). */
  onHandlerError?(context: RequestContext, error: unknown): void;
}

export function isFlexible(handler: ApiHandler, version: number): boolean {
  const range = handler.request.flexibleVersions;
  return range !== null && version >= range.min && version <= range.max;
}

export function createDispatcher(services: BrokerServices, hooks: DispatchHooks = {}) {
  return (frame: Buffer, connection: ConnectionInfo): Promise<Buffer | null> | Buffer | null => {
    if (frame.length < HEADER_BYTES_MIN) throw new RequestRejectedError('request shorter than its header');
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = services.handlers.get(apiKey);
    if (handler === undefined) throw new RequestRejectedError(`unknown API key ${apiKey}`);
    const reader = new Reader(frame, 8);
    const baseContext = {
      services,
      connection,
      apiKey,
      apiVersion,
      correlationId,
      receivedAtMs: Date.now(),
    };
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (handler.unsupportedVersion === undefined) {
        throw new RequestRejectedError(`${handler.name} v${apiVersion} is not supported`);
      }
      const clientId = safeClientId(reader);
      const answer = handler.unsupportedVersion({ ...baseContext, clientId });
      return encodeResponse(handler, answer.version, correlationId, answer.response);
    }
    let request: unknown;
    let clientId: string | null;
    try {
      clientId = reader.nullableString();
      if (isFlexible(handler, apiVersion)) reader.taggedFields();
      request = handler.request.decode(reader, apiVersion);
    } catch (error) {
      if (error instanceof ProtocolDecodeError) {
        throw new RequestRejectedError(`${handler.name} v${apiVersion}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    const context: RequestContext = { ...baseContext, clientId };
    const finish = (response: unknown): Buffer | null =>
      response === null ? null : encodeResponse(handler, apiVersion, correlationId, response, handler.responseSizeHint?.(response));
    const fail = (error: unknown): Buffer | null => {
      // A handler may ask for the connection to be closed (Produce acks=0 with an error).
      if (error instanceof RequestRejectedError) throw error;
      hooks.onHandlerError?.(context, error);
      if (handler.errorResponse === undefined) throw error;
      return finish(handler.errorResponse(context, request, UNKNOWN_SERVER_ERROR));
    };
    let result: unknown;
    try {
      result = handler.handle(context, request);
    } catch (error) {
      return fail(error);
    }
    if (result instanceof Promise) return result.then(finish, fail);
    return finish(result);
  };
}

/** Best effort for a request we will not decode: the client id, or null. */
function safeClientId(reader: Reader): string | null {
  try {
    return reader.nullableString();
  } catch {
    return null;
  }
}

/** Size prefix + response header (v0, or v1 with tagged fields when flexible) + body. */
export function encodeResponse(handler: ApiHandler, version: number, correlationId: number, response: unknown, sizeHintBytes = 256): Buffer {
  const writer = new Writer(sizeHintBytes);
  writer.int32(0);
  writer.int32(correlationId);
  if (handler.apiKey !== API_VERSIONS_KEY && isFlexible(handler, version)) writer.uvarint(0);
  handler.response.encode(writer, response, version);
  const bytes = writer.finish();
  bytes.writeInt32BE(bytes.length - 4, 0);
  return bytes;
}
