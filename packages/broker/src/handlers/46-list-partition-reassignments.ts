// ListPartitionReassignments (API 46), version 0.
// Behaviour notes: the ongoing reassignments (Kafka's adding_replicas / removing_replicas in
// /brokers/topics/<t>) with each partition's full current replica list. Null topics means all.
// Any broker answers from its metadata cache; one with local metadata has none.
import { ErrorCode, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '@kafkaesque/protocol';
import { clusterService } from '../cluster/service.ts';
import { defineHandler } from './types.ts';

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: 46,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  request: ListPartitionReassignmentsRequest,
  response: ListPartitionReassignmentsResponse,
  handle(context, request) {
    const cluster = clusterService(context.services);
    const topics: ListPartitionReassignmentsResponse['topics'] = [];
    if (cluster !== undefined) {
      const wanted = request.topics === null ? null : new Map(request.topics.map((topic) => [topic.name, new Set(topic.partitionIndexes)]));
      for (const topic of cluster.store.topics()) {
        if (wanted !== null && !wanted.has(topic.name)) continue;
        const { adding, removing } = cluster.store.reassignments(topic.name);
        const partitions = Object.keys({ ...adding, ...removing })
          .map(Number)
          .filter((index) => topic.partitions[index] !== undefined && (wanted === null || wanted.get(topic.name)!.has(index)))
          .sort((a, b) => a - b)
          .map((index) => ({
            partitionIndex: index,
            replicas: topic.partitions[index].replicas,
            addingReplicas: adding[String(index)] ?? [],
            removingReplicas: removing[String(index)] ?? [],
          }));
        if (partitions.length > 0) topics.push({ name: topic.name, partitions });
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
  errorResponse(_context, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] };
  },
});
