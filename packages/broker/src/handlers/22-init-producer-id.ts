// InitProducerId (API 22), versions 0–5.
// Behaviour notes:
// - Idempotent producers (no transactional id): a fresh producer id with epoch 0, unique
//   across brokers and restarts (blocks reserved in the metadata store). A producer that
//   sends its current id and epoch (v3+, KIP-360) also gets a fresh id, as Kafka does.
// - Transactional ids belong to the transaction coordinator: handled by the 'transactions'
//   plugin when one is loaded, else COORDINATOR_NOT_AVAILABLE (retriable).
// - Advertised from v0: librdkafka enables idempotence only when InitProducerId 0 is there.
import { ErrorCode, InitProducerIdRequest, InitProducerIdResponse } from '@kafkaesque/protocol';
import { defineHandler, type RequestContext } from './types.ts';

/** What a transactions plugin offers InitProducerId (see handlers/README.md, plugins). */
export interface TransactionalInitProducerId {
  initProducerId(context: RequestContext, request: InitProducerIdRequest): Promise<InitProducerIdResponse>;
}

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
  async handle(context, request) {
    if (request.transactionalId !== null) {
      const transactions = context.services.extensions.get('transactions') as Partial<TransactionalInitProducerId> | undefined;
      if (transactions?.initProducerId === undefined) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
      }
      return transactions.initProducerId(context, request);
    }
    const producerId = await context.services.producerIds.nextId();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
