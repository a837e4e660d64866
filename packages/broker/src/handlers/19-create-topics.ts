// CreateTopics (API 19), versions 0–7.
// Behaviour notes:
// - Any broker accepts it (the metadata store is shared), so NOT_CONTROLLER never happens.
// - validate_only checks everything (name, counts, assignments, configs) and creates nothing.
// - Explicit replica assignments exclude numPartitions/replicationFactor (both must be -1).
// - -1 partitions / replication factor (v4+) mean num.partitions / default.replication.factor.
// - The response is sent once the topic's partitions have leaders and logs (no
//   LEADER_NOT_AVAILABLE window after creation); timeoutMs is therefore not needed.
// - v5+ returns the partition count, replication factor and the topic's resolved configs;
//   v7+ the topic id. A name given twice in one request gets INVALID_REQUEST.
import {
  CreateTopicsRequest,
  CreateTopicsResponse,
  ErrorCode,
  ZERO_UUID,
  type CreateTopicsResponseCreatableTopicResult,
} from '@kafkaesque/protocol';
import { TOPIC_CONFIG_BY_NAME } from '../config/topic-config.ts';
import { createTopic } from '../topics/topic-admin.ts';
import { defineHandler, type RequestContext } from './types.ts';

function result(name: string, errorCode: number, errorMessage: string | null): CreateTopicsResponseCreatableTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: [] };
}

function resolvedConfigs(context: RequestContext, overrides: Record<string, string>) {
  return context.services.config.resolveTopicConfigs(overrides).map((resolved) => ({
    name: resolved.name,
    value: resolved.value,
    readOnly: false,
    configSource: resolved.source,
    isSensitive: false,
  }));
}

async function createOne(
  context: RequestContext,
  topic: CreateTopicsRequest['topics'][number],
  validateOnly: boolean,
): Promise<CreateTopicsResponseCreatableTopicResult> {
  const configs: Record<string, string> = {};
  for (const entry of topic.configs) {
    if (entry.value === null) return result(topic.name, ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${entry.name}`);
    if (!TOPIC_CONFIG_BY_NAME.has(entry.name)) return result(topic.name, ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${entry.name}`);
    configs[entry.name] = entry.value;
  }
  const created = await createTopic(context.services, {
    name: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    assignments: topic.assignments,
    configs,
    validateOnly,
  });
  if (created.topic === undefined) return result(topic.name, created.errorCode, created.errorMessage);
  return {
    name: topic.name,
    topicId: created.topic.id === '' ? ZERO_UUID : created.topic.id,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions: created.topic.partitions.length,
    replicationFactor: created.topic.partitions[0]?.replicas.length ?? -1,
    configs: resolvedConfigs(context, configs),
  };
}

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  request: CreateTopicsRequest,
  response: CreateTopicsResponse,
  async handle(context, request) {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    for (const topic of request.topics) {
      if ((counts.get(topic.name) ?? 0) > 1) {
        topics.push(result(topic.name, ErrorCode.INVALID_REQUEST, 'Create topics request from client contains a duplicate topic name'));
        continue;
      }
      topics.push(await createOne(context, topic, request.validateOnly));
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_context, request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((topic) => result(topic.name, errorCode, null)) };
  },
});
