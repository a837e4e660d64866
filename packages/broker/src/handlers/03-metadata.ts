// Metadata (API 3), versions 0–12.
// Behaviour notes:
// - v0: an empty topic list means every topic; v1+: null means every topic, [] means none
//   (librdkafka asks [] for brokers only).
// - v10+: topics may be asked by id (name null); an unknown id is UNKNOWN_TOPIC_ID.
// - Unknown topics are auto-created when the request allows it (v4+ flag, always before v4),
//   auto.create.topics.enable is on and the name is legal. Creation completes (logs open,
//   leaders set) before we answer, so the topic comes back ready instead of
//   LEADER_NOT_AVAILABLE; kafka-python's producer (retries=0) depends on it.
// - The controller is a listed broker (kafka-python's admin client sends CreateTopics to it).
// - Authorized operations are not computed (no ACLs yet): INT32_MIN, Kafka's "not requested".
import {
  ErrorCode,
  MetadataRequest,
  MetadataResponse,
  ZERO_UUID,
  type MetadataResponseMetadataResponseTopic,
} from '@kafkaesque/protocol';
import type { TopicState } from '../metadata/store.ts';
import { createTopic, topicNameError } from '../topics/topic-admin.ts';
import { defineHandler, type RequestContext } from './types.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function describeTopic(topic: TopicState): MetadataResponseMetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: topic.internal,
    partitions: topic.partitions.map((partition) => ({
      errorCode: partition.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: partition.partition,
      leaderId: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      replicaNodes: partition.replicas,
      isrNodes: partition.isr,
      offlineReplicas: partition.offlineReplicas,
    })),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function topicError(name: string | null, topicId: string, errorCode: number): MetadataResponseMetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

async function topicByName(context: RequestContext, name: string, autoCreate: boolean): Promise<MetadataResponseMetadataResponseTopic> {
  const { services } = context;
  const existing = services.metadata.topic(name);
  if (existing !== undefined) return describeTopic(existing);
  if (topicNameError(name) !== null) return topicError(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!autoCreate || !services.config.bool('auto.create.topics.enable')) {
    return topicError(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
  const created = await createTopic(services, { name, numPartitions: -1, replicationFactor: -1, configs: {} });
  if (created.topic !== undefined) return describeTopic(created.topic);
  // Lost a race with another creator: the topic exists now.
  const raced = services.metadata.topic(name);
  if (raced !== undefined) return describeTopic(raced);
  return topicError(name, ZERO_UUID, created.errorCode === ErrorCode.INVALID_REPLICATION_FACTOR ? ErrorCode.LEADER_NOT_AVAILABLE : created.errorCode);
}

export default defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  request: MetadataRequest,
  response: MetadataResponse,
  async handle(context, request) {
    const { services, apiVersion } = context;
    const allTopics = request.topics === null || (apiVersion === 0 && request.topics.length === 0);
    const autoCreate = apiVersion < 4 || request.allowAutoTopicCreation;
    let topics: MetadataResponseMetadataResponseTopic[];
    if (allTopics) {
      topics = services.metadata.topics().map(describeTopic);
    } else {
      topics = [];
      for (const wanted of request.topics ?? []) {
        if (wanted.name === null || wanted.name === '') {
          const byId = services.metadata.topicById(wanted.topicId);
          topics.push(byId ? describeTopic(byId) : topicError(null, wanted.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
        } else {
          topics.push(await topicByName(context, wanted.name, autoCreate));
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: services.metadata.brokers().map((broker) => ({ nodeId: broker.id, host: broker.host, port: broker.port, rack: broker.rack })),
      clusterId: services.metadata.clusterId,
      controllerId: services.metadata.controllerId(),
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
