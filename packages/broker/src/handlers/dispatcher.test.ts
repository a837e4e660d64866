import { ApiKey, ApiVersionsRequest, ApiVersionsResponse, decodeResponse, encodeRequest, ErrorCode } from '@kafkaesque/protocol';
import { describe, expect, it } from 'vitest';
import { createDispatcher, RequestRejectedError } from './dispatcher.ts';
import { defineHandler, HandlerRegistry, type BrokerServices } from './types.ts';
import type { ConnectionInfo } from '../network/connection.ts';

const connection: ConnectionInfo = { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, localPort: 2, attributes: new Map() };

function servicesWith(handle: () => unknown): BrokerServices {
  const handlers = new HandlerRegistry();
  handlers.register(defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
    apiKey: ApiKey.ApiVersions,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: 3,
    request: ApiVersionsRequest,
    response: ApiVersionsResponse,
    handle: handle as () => ApiVersionsResponse,
    errorResponse: (_context, _request, errorCode) => ({ errorCode, apiKeys: [], throttleTimeMs: 0 }),
  }));
  return { handlers } as unknown as BrokerServices;
}

const frameOf = (apiKey: number, version: number, body: object) => encodeRequest(apiKey, version, 7, 'test', body).subarray(4);

describe('dispatcher', () => {
  it('answers with the handler response and the request correlation id', async () => {
    const dispatch = createDispatcher(servicesWith(() => ({ errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 })));
    const response = await dispatch(frameOf(ApiKey.ApiVersions, 3, { clientSoftwareName: 'a', clientSoftwareVersion: '1' }), connection);
    const decoded = decodeResponse(ApiKey.ApiVersions, 3, response!.subarray(4));
    expect(decoded.correlationId).toBe(7);
    expect(decoded.body.apiKeys).toEqual([expect.objectContaining({ apiKey: 18, maxVersion: 3 })]);
  });

  it('turns an unexpected handler failure into UNKNOWN_SERVER_ERROR', async () => {
    const failures: unknown[] = [];
    const dispatch = createDispatcher(servicesWith(() => Promise.reject(new Error('boom'))), { onHandlerError: (_c, error) => failures.push(error) });
    const response = await dispatch(frameOf(ApiKey.ApiVersions, 1, {}), connection);
    expect(decodeResponse(ApiKey.ApiVersions, 1, response!.subarray(4)).body.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(failures).toHaveLength(1);
  });

  it('rejects unknown API keys, versions out of range and undecodable bodies', () => {
    const dispatch = createDispatcher(servicesWith(() => ({ errorCode: 0, apiKeys: [], throttleTimeMs: 0 })));
    expect(() => dispatch(frameOf(ApiKey.Metadata, 1, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }), connection)).toThrow(RequestRejectedError);
    expect(() => dispatch(frameOf(ApiKey.ApiVersions, 3, { clientSoftwareName: 'a', clientSoftwareVersion: '1' }).subarray(0, 12), connection)).toThrow(RequestRejectedError);
    const tooNew = Buffer.from(frameOf(ApiKey.ApiVersions, 3, { clientSoftwareName: 'a', clientSoftwareVersion: '1' }));
    tooNew.writeInt16BE(4, 2);
    expect(() => dispatch(tooNew, connection)).toThrow(RequestRejectedError); // no unsupportedVersion hook here
  });
});
