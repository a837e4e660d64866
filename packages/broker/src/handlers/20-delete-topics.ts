// DeleteTopics (API 20), versions 0–6.
// Behaviour notes:
// - v0–5 name topics in topic_names; v6 in topics, by name or by id (UNKNOWN_TOPIC_ID when
//   the id is unknown; giving both a name and an id is INVALID_REQUEST).
// - delete.topic.enable=false answers TOPIC_DELETION_DISABLED; internal topics
//   (__consumer_offsets…) cannot be deleted (INVALID_REQUEST).
// - The answer goes out once this broker's logs of the topic are deleted (renamed *-delete
//   and removed later by the log), so a following CreateTopics of the same name works.
import { DeleteTopicsRequest, DeleteTopicsResponse, ErrorCode, ZERO_UUID, type DeleteTopicsResponseDeletableTopicResult } from '@kafkaesque/protocol';
import { fromError } from '../topics/topic-admin.ts';
import { defineHandler, type RequestContext } from './types.ts';

type Result = DeleteTopicsResponseDeletableTopicResult;

async function deleteOne(context: RequestContext, name: string | null, topicId: string): Promise<Result> {
  const { services } = context;
  const byId = name === null || name === '';
  if (!byId && topicId !== ZERO_UUID) return { name, topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Give a topic name or a topic id, not both' };
  const topic = byId ? services.metadata.topicById(topicId) : services.metadata.topic(name);
  if (topic === undefined) {
    return byId
      ? { name: null, topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: `Topic id ${topicId} does not exist` }
      : { name, topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
  }
  const done = (errorCode: number, errorMessage: string | null): Result => ({ name: topic.name, topicId: topic.id, errorCode, errorMessage });
  if (!services.config.bool('delete.topic.enable')) return done(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
  if (topic.internal) return done(ErrorCode.INVALID_REQUEST, `Internal topic ${topic.name} cannot be deleted`);
  try {
    await services.metadata.deleteTopic(topic.name);
    await services.replicas.settled();
    return done(ErrorCode.NONE, null);
  } catch (error) {
    const failed = fromError(error);
    return done(failed.errorCode, failed.errorMessage);
  }
}

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
  async handle(context, request) {
    const wanted = context.apiVersion >= 6
      ? request.topics.map((topic) => ({ name: topic.name, topicId: topic.topicId }))
      : request.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
    const responses: Result[] = [];
    for (const topic of wanted) {
      const result = await deleteOne(context, topic.name, topic.topicId);
      // Versions before 6 have no topic id and a non-null name.
      responses.push(context.apiVersion >= 6 ? result : { ...result, name: result.name ?? '', topicId: ZERO_UUID });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(context, request, errorCode) {
    const names = context.apiVersion >= 6 ? request.topics.map((topic) => topic.name ?? '') : request.topicNames;
    return { throttleTimeMs: 0, responses: names.map((name) => ({ name, topicId: ZERO_UUID, errorCode, errorMessage: null })) };
  },
});
