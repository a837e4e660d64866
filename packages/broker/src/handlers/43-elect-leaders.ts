// ElectLeaders (API 43), versions 0–2.
// Behaviour notes: election_type 0 = preferred (leadership back to the first replica when it is
// live and in the ISR), 1 = unclean (any live replica of a partition without a live leader —
// may lose acknowledged writes, as in Kafka). Sent to the controller (Admin clients look it up
// in Metadata); another broker answers NOT_CONTROLLER. Per partition: NONE,
// ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
// UNKNOWN_TOPIC_OR_PARTITION. Null topic_partitions means every partition. A broker with local
// metadata (one broker) has nothing to elect: ELECTION_NOT_NEEDED.
import { ElectLeadersRequest, ElectLeadersResponse, ErrorCode } from '@kafkaesque/protocol';
import { clusterService } from '../cluster/service.ts';
import { defineHandler } from './types.ts';

type Result = ElectLeadersResponse['replicaElectionResults'][number];

function group(entries: Array<{ topic: string; partition: number; errorCode: number }>): Result[] {
  const byTopic = new Map<string, Result>();
  for (const { topic, partition, errorCode } of entries) {
    let result = byTopic.get(topic);
    if (result === undefined) byTopic.set(topic, (result = { topic, partitionResult: [] }));
    result.partitionResult.push({ partitionId: partition, errorCode, errorMessage: null });
  }
  return [...byTopic.values()];
}

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: 43,
  name: 'ElectLeaders',
  minVersion: 0,
  maxVersion: 2,
  request: ElectLeadersRequest,
  response: ElectLeadersResponse,
  async handle(context, request) {
    const { metadata } = context.services;
    const targets = request.topicPartitions === null
      ? metadata.topics().flatMap((topic) => topic.partitions.map((state) => ({ topic: topic.name, partition: state.partition })))
      : request.topicPartitions.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.topic, partition })));
    const cluster = clusterService(context.services);
    const controller = cluster?.controller ?? null;
    if (cluster !== undefined && (controller === null || !controller.active)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, replicaElectionResults: group(targets.map((target) => ({ ...target, errorCode: ErrorCode.NOT_CONTROLLER }))) };
    }
    const known = (topic: string, partition: number) => metadata.topic(topic)?.partitions[partition] !== undefined;
    if (controller === null) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        replicaElectionResults: group(targets.map((target) => ({ ...target, errorCode: known(target.topic, target.partition) ? ErrorCode.ELECTION_NOT_NEEDED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }))),
      };
    }
    const type = context.apiVersion >= 1 && request.electionType === 1 ? 'unclean' : 'preferred';
    const outcome = await controller.run(() => controller.electLeaders(type, targets));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: group(targets.map((target) => ({ ...target, errorCode: outcome.get(`${target.topic}:${target.partition}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }))),
    };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: (request.topicPartitions ?? []).map((topic) => ({
        topic: topic.topic,
        partitionResult: topic.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })),
      })),
    };
  },
});
