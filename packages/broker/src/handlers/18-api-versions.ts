// ApiVersions (API 18), versions 0–4.
// Behaviour notes:
// - Lists exactly the handlers registered on this broker, with their own ranges (same on
//   every broker: kafkajs asks one and reuses the answer).
// - The response header is always v0, even for v3+ (the dispatcher knows).
// - A too-new request version is answered (not closed) with UNSUPPORTED_VERSION in a v0 body
//   that carries our ranges, so the client retries with a version we serve (KIP-511).
// - v3+ clients send their software name and version; we accept any.
import { ApiVersionsRequest, ApiVersionsResponse, ErrorCode } from '@kafkaesque/protocol';
import { defineHandler, type BrokerServices } from './types.ts';

function body(services: BrokerServices, errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: services.handlers.all().map((handler) => ({
      apiKey: handler.apiKey,
      minVersion: handler.minVersion,
      maxVersion: handler.maxVersion,
    })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

export default defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 4,
  request: ApiVersionsRequest,
  response: ApiVersionsResponse,
  handle(context) {
    return body(context.services, ErrorCode.NONE);
  },
  unsupportedVersion(context) {
    return { response: body(context.services, ErrorCode.UNSUPPORTED_VERSION), version: 0 };
  },
  errorResponse(context, _request, errorCode) {
    return body(context.services, errorCode);
  },
});
