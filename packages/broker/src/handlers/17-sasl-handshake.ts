// SaslHandshake (API 17), versions 0–1.
// Behaviour notes: until the security issue lands no SASL mechanism is enabled, so every
// handshake gets UNSUPPORTED_SASL_MECHANISM with an empty mechanism list (Kafka's answer on a
// PLAINTEXT listener without SASL). Advertised from 0: librdkafka needs SaslHandshake 0.
import { ErrorCode, SaslHandshakeRequest, SaslHandshakeResponse } from '@kafkaesque/protocol';
import { defineHandler } from './types.ts';

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  request: SaslHandshakeRequest,
  response: SaslHandshakeResponse,
  handle() {
    return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
  },
  errorResponse(_context, _request, errorCode) {
    return { errorCode, mechanisms: [] };
  },
});
