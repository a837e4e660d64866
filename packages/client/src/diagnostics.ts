/**
 * Observability through node:diagnostics_channel: subscribers (APMs, tests, the CLI) see every
 * connection, request and response without the client depending on any of them. Publishing to a
 * channel nobody listens to costs a property check, so the hot path stays cheap.
 *
 * Channel names: `kafkaesque:client:<event>`.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

export const channels = {
  connect: diagnosticsChannel.channel('kafkaesque:client:connect'),
  disconnect: diagnosticsChannel.channel('kafkaesque:client:disconnect'),
  request: diagnosticsChannel.channel('kafkaesque:client:request'),
  response: diagnosticsChannel.channel('kafkaesque:client:response'),
  produce: diagnosticsChannel.channel('kafkaesque:client:produce'),
  fetch: diagnosticsChannel.channel('kafkaesque:client:fetch'),
  rebalance: diagnosticsChannel.channel('kafkaesque:client:rebalance'),
  retry: diagnosticsChannel.channel('kafkaesque:client:retry'),
} as const;

/** Simple counters a producer or consumer keeps; read them with `client.metrics()`. */
export interface ClientMetrics {
  requestsSent: number;
  retries: number;
  recordsSent: number;
  batchesSent: number;
  bytesSent: number;
  recordsReceived: number;
  bytesReceived: number;
  errors: number;
}

export function emptyMetrics(): ClientMetrics {
  return { requestsSent: 0, retries: 0, recordsSent: 0, batchesSent: 0, bytesSent: 0, recordsReceived: 0, bytesReceived: 0, errors: 0 };
}
