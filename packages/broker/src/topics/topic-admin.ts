/**
 * Topic creation and partition growth shared by CreateTopics, CreatePartitions and Metadata's
 * auto-creation: name rules, replica placement, config validation, and waiting until this
 * broker's logs exist so that leadership is in place when the response goes out.
 */
import { ErrorCode } from '@kafkaesque/protocol';
import { ConfigError } from '../config/config-types.ts';
import { validateTopicConfigs } from '../config/topic-config.ts';
import type { BrokerServices } from '../handlers/types.ts';
import { MetadataError, type TopicState } from '../metadata/store.ts';

/** Kafka's limit: the directory name `<topic>-<partition>` must stay under 255 bytes. */
export const TOPIC_NAME_LENGTH_MAX = 249;
/** A bound on partitions per topic, so one request cannot ask for millions of logs. */
export const TOPIC_PARTITIONS_MAX = 10_000;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

export interface TopicAdminResult {
  errorCode: number;
  errorMessage: string | null;
  topic?: TopicState;
}

const ok = (topic?: TopicState): TopicAdminResult => ({ errorCode: ErrorCode.NONE, errorMessage: null, topic });
const fail = (errorCode: number, errorMessage: string): TopicAdminResult => ({ errorCode, errorMessage });

export function topicNameError(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_LENGTH_MAX} characters`;
  if (!LEGAL_TOPIC_NAME.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/**
 * Replica lists: partition p starts on the p-th live broker, then the next ones — so leaders
 * (first replicas) spread round-robin. When brokers have racks (`racks`), the broker list is
 * first ordered rack by rack in turn (Kafka's rack-alternated list) and each partition's
 * replicas skip brokers of racks it already uses until every rack has one.
 */
export function assignReplicas(
  brokerIds: number[],
  partitionCount: number,
  replicationFactor: number,
  firstPartition = 0,
  racks?: ReadonlyMap<number, string | null>,
): number[][] {
  const sorted = [...brokerIds].sort((a, b) => a - b);
  const rackOf = (id: number): string | null => racks?.get(id) ?? null;
  const rackAware = sorted.some((id) => rackOf(id) !== null);
  const ordered = rackAware ? rackAlternated(sorted, rackOf) : sorted;
  const rackCount = new Set(ordered.map(rackOf)).size;
  const assignments: number[][] = [];
  for (let p = firstPartition; p < firstPartition + partitionCount; p++) {
    const replicas: number[] = [];
    const usedRacks = new Set<string | null>();
    for (let step = 0; replicas.length < replicationFactor && step < ordered.length * 2; step++) {
      const candidate = ordered[(p + step) % ordered.length];
      if (replicas.includes(candidate)) continue;
      const rackTaken = rackAware && usedRacks.has(rackOf(candidate)) && usedRacks.size < rackCount;
      if (rackTaken && step < ordered.length) continue;
      replicas.push(candidate);
      usedRacks.add(rackOf(candidate));
    }
    assignments.push(replicas);
  }
  return assignments;
}

/** Brokers ordered one rack after the other: rack A's first, rack B's first, …, rack A's second, … */
function rackAlternated(sorted: number[], rackOf: (id: number) => string | null): number[] {
  const byRack = new Map<string, number[]>();
  for (const id of sorted) {
    const rack = rackOf(id) ?? '';
    let list = byRack.get(rack);
    if (list === undefined) byRack.set(rack, (list = []));
    list.push(id);
  }
  const racks = [...byRack.keys()].sort();
  const result: number[] = [];
  for (let round = 0; result.length < sorted.length; round++) {
    for (const rack of racks) {
      const id = byRack.get(rack)![round];
      if (id !== undefined) result.push(id);
    }
  }
  return result;
}

function racksOf(services: BrokerServices): Map<number, string | null> {
  return new Map(services.metadata.brokers().map((broker) => [broker.id, broker.rack]));
}

export interface CreateTopicSpec {
  name: string;
  /** -1: num.partitions. Ignored when assignments are given. */
  numPartitions: number;
  /** -1: default.replication.factor. Ignored when assignments are given. */
  replicationFactor: number;
  /** Explicit replica lists by partition index (CreateTopics assignments). */
  assignments?: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Record<string, string>;
  validateOnly?: boolean;
  internal?: boolean;
}

function checkAssignments(
  spec: CreateTopicSpec,
  liveBrokers: Set<number>,
): { ok: true; assignments: number[][] } | { ok: false; result: TopicAdminResult } {
  const given = spec.assignments ?? [];
  if (given.length === 0) return { ok: true, assignments: [] };
  if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
    return { ok: false, result: fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.') };
  }
  const sorted = [...given].sort((a, b) => a.partitionIndex - b.partitionIndex);
  const assignments: number[][] = [];
  for (let i = 0; i < sorted.length; i++) {
    const { partitionIndex, brokerIds } = sorted[i];
    if (partitionIndex !== i) {
      return { ok: false, result: fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence') };
    }
    if (brokerIds.length === 0 || new Set(brokerIds).size !== brokerIds.length) {
      return { ok: false, result: fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${i} has an empty or duplicated replica list`) };
    }
    if (brokerIds.length !== sorted[0].brokerIds.length) {
      return { ok: false, result: fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'All partitions should have the same number of replicas') };
    }
    const unknown = brokerIds.find((id) => !liveBrokers.has(id));
    if (unknown !== undefined) {
      return { ok: false, result: fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${unknown} in replica assignment`) };
    }
    assignments.push([...brokerIds]);
  }
  if (assignments.length > TOPIC_PARTITIONS_MAX) {
    return { ok: false, result: fail(ErrorCode.INVALID_PARTITIONS, `More than ${TOPIC_PARTITIONS_MAX} partitions`) };
  }
  return { ok: true, assignments };
}

/** Validates the spec (and creates the topic unless validateOnly); never throws Kafka errors. */
export async function createTopic(services: BrokerServices, spec: CreateTopicSpec): Promise<TopicAdminResult> {
  const { metadata, config } = services;
  const nameError = topicNameError(spec.name);
  if (nameError !== null) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
  if (metadata.topic(spec.name) !== undefined) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
  // Kafka's metric names turn '.' into '_', so 'a.b' and 'a_b' may not both exist.
  const collides = metadata.topics().find((topic) => topic.name.replaceAll('.', '_') === spec.name.replaceAll('.', '_'));
  if (collides !== undefined) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${collides.name}`);
  const liveBrokers = metadata.brokers().map((broker) => broker.id);
  const checked = checkAssignments(spec, new Set(liveBrokers));
  if (!checked.ok) return checked.result;
  let assignments = checked.assignments;
  if (assignments.length === 0) {
    const partitions = spec.numPartitions === -1 ? config.int('num.partitions') : spec.numPartitions;
    const replicationFactor = spec.replicationFactor === -1 ? config.int('default.replication.factor') : spec.replicationFactor;
    if (partitions <= 0 || partitions > TOPIC_PARTITIONS_MAX) {
      return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${TOPIC_PARTITIONS_MAX}.`);
    }
    if (replicationFactor <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (replicationFactor > liveBrokers.length) {
      return fail(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${liveBrokers.length} broker(s) are registered.`,
      );
    }
    assignments = assignReplicas(liveBrokers, partitions, replicationFactor, 0, racksOf(services));
  }
  try {
    validateTopicConfigs(spec.configs);
  } catch (error) {
    return fail(ErrorCode.INVALID_CONFIG, (error as Error).message);
  }
  if (spec.validateOnly) {
    return ok({ name: spec.name, id: '', internal: false, partitions: assignments.map((replicas, partition) => ({
      partition, leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0, replicas, isr: replicas, offlineReplicas: [],
    })), configs: spec.configs });
  }
  try {
    const topic = await metadata.createTopic({ name: spec.name, assignments, configs: spec.configs, internal: spec.internal });
    await services.replicas.settled();
    return ok(topic);
  } catch (error) {
    return fromError(error);
  }
}

/** Adds partitions so the topic has `totalCount`, with optional explicit replica lists. */
export async function createPartitions(
  services: BrokerServices,
  name: string,
  totalCount: number,
  newAssignments: number[][] | null,
  validateOnly: boolean,
): Promise<TopicAdminResult> {
  const topic = services.metadata.topic(name);
  if (topic === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
  const current = topic.partitions.length;
  if (totalCount < current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${totalCount}.`);
  if (totalCount === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
  if (totalCount > TOPIC_PARTITIONS_MAX) return fail(ErrorCode.INVALID_PARTITIONS, `More than ${TOPIC_PARTITIONS_MAX} partitions`);
  const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
  const live = services.metadata.brokers().map((broker) => broker.id);
  let assignments: number[][];
  if (newAssignments !== null) {
    if (newAssignments.length !== totalCount - current) {
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${totalCount - current} but ${newAssignments.length} assignments provided.`);
    }
    const liveSet = new Set(live);
    for (const replicas of newAssignments) {
      if (replicas.length !== replicationFactor || new Set(replicas).size !== replicas.length || replicas.some((id) => !liveSet.has(id))) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Invalid replica assignment ${JSON.stringify(replicas)}`);
      }
    }
    assignments = newAssignments;
  } else {
    if (replicationFactor > live.length) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Not enough live brokers for the replication factor.');
    assignments = assignReplicas(live, totalCount - current, replicationFactor, current, racksOf(services));
  }
  if (validateOnly) return ok(topic);
  try {
    const updated = await services.metadata.createPartitions(name, assignments);
    await services.replicas.settled();
    return ok(updated);
  } catch (error) {
    return fromError(error);
  }
}

export function fromError(error: unknown): TopicAdminResult {
  if (error instanceof MetadataError || error instanceof ConfigError) return fail(error.code, error.message);
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number') return fail(code, (error as Error).message);
  throw error;
}
