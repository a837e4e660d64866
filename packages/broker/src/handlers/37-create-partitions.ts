// CreatePartitions (API 37), versions 0–3.
// Behaviour notes: grows a topic to `count` partitions (never shrinks: INVALID_PARTITIONS),
// with explicit replica lists for the new partitions or our round-robin placement; the
// replication factor stays the topic's. validate_only changes nothing. Answered once the new
// partitions have leaders and logs. A topic named twice is INVALID_REQUEST.
import { CreatePartitionsRequest, CreatePartitionsResponse, ErrorCode } from '@kafkaesque/protocol';
import { createPartitions } from '../topics/topic-admin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  request: CreatePartitionsRequest,
  response: CreatePartitionsResponse,
  async handle(context, request) {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const results = [];
    for (const topic of request.topics) {
      if ((counts.get(topic.name) ?? 0) > 1) {
        results.push({ name: topic.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' });
        continue;
      }
      const assignments = topic.assignments === null ? null : topic.assignments.map((assignment) => assignment.brokerIds);
      const outcome = await createPartitions(context.services, topic.name, topic.count, assignments, request.validateOnly);
      results.push({ name: topic.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_context, request, errorCode) {
    return { throttleTimeMs: 0, results: request.topics.map((topic) => ({ name: topic.name, errorCode, errorMessage: null })) };
  },
});
