/**
 * The admin client: topics, configs, partitions, cluster, groups and their offsets, offsets and
 * records, leader election and reassignment. Requests go where Kafka wants them (the controller
 * for topic changes, the group coordinator for groups, each partition's leader for records),
 * retried on retriable errors; a per-resource error becomes a typed KafkaResponseError naming
 * the resource.
 */
import { Cluster, type ClusterOptions, type TopicInfo, type BrokerInfo } from '../cluster/cluster.ts';
import { Apis } from '../cluster/apis.ts';
import { KafkaConfigError, KafkaResponseError, KafkaTimeoutError, type RequestContext } from '../errors.ts';
import { sleep } from '../retry.ts';
import crypto from 'node:crypto';
import type { TopicPartition } from '../consumer/group.ts';
import type { TopicPartitionOffset } from '../consumer/consumer.ts';
import { decodeAssignment, decodeSubscription } from '../consumer/group.ts';

export type AdminOptions = ClusterOptions;

export interface NewTopic {
  name: string;
  /** -1 (default) lets the broker use num.partitions. */
  numPartitions?: number;
  /** -1 (default) lets the broker use default.replication.factor. */
  replicationFactor?: number;
  /** Explicit replica assignment: partition → broker ids. */
  replicaAssignment?: Record<number, number[]>;
  configs?: Record<string, string>;
}

export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger';

export interface ConfigResource {
  type: ConfigResourceType;
  name: string;
  /** Only these keys (default: all). */
  configNames?: string[];
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
  /** Kafka's ConfigSource: 1 dynamic topic, 4 static broker, 5 default, … (-1 unknown). */
  source: number;
}

export interface ConfigDescription {
  type: ConfigResourceType;
  name: string;
  configs: ConfigEntry[];
}

export type AlterConfigOperation = 'set' | 'delete' | 'append' | 'subtract';

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; assignment: TopicPartition[]; subscribedTopics: string[] }[];
}

export type AclResourceType = 'any' | 'topic' | 'group' | 'cluster' | 'transactional-id' | 'delegation-token' | 'user';
export type AclPatternType = 'any' | 'match' | 'literal' | 'prefixed';
export type AclOperation =
  | 'any' | 'all' | 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe' | 'cluster-action'
  | 'describe-configs' | 'alter-configs' | 'idempotent-write' | 'create-tokens' | 'describe-tokens';
export type AclPermission = 'any' | 'deny' | 'allow';

export interface AclBinding {
  resourceType: Exclude<AclResourceType, 'any'>;
  resourceName: string;
  patternType?: Exclude<AclPatternType, 'any' | 'match'>;
  /** e.g. 'User:alice' */
  principal: string;
  host?: string;
  operation: Exclude<AclOperation, 'any'>;
  permission: Exclude<AclPermission, 'any'>;
}

export interface AclFilter {
  resourceType?: AclResourceType;
  resourceName?: string | null;
  patternType?: AclPatternType;
  principal?: string | null;
  host?: string | null;
  operation?: AclOperation;
  permission?: AclPermission;
}

const ACL_RESOURCE_TYPES: Record<AclResourceType, number> = { any: 1, topic: 2, group: 3, cluster: 4, 'transactional-id': 5, 'delegation-token': 6, user: 7 };
const ACL_PATTERN_TYPES: Record<AclPatternType, number> = { any: 1, match: 2, literal: 3, prefixed: 4 };
const ACL_OPERATIONS: Record<AclOperation, number> = {
  any: 1, all: 2, read: 3, write: 4, create: 5, delete: 6, alter: 7, describe: 8, 'cluster-action': 9,
  'describe-configs': 10, 'alter-configs': 11, 'idempotent-write': 12, 'create-tokens': 13, 'describe-tokens': 14,
};
const ACL_PERMISSIONS: Record<AclPermission, number> = { any: 1, deny: 2, allow: 3 };

function nameOf<T extends string>(table: Record<T, number>, code: number): T {
  return (Object.entries(table) as [T, number][]).find(([, value]) => value === code)?.[0] ?? ('any' as T);
}

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const SCRAM_MECHANISMS: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
/** Kafka's minimum (and the Java admin client's default) for SCRAM iterations. */
export const SCRAM_ITERATIONS_DEFAULT = 4096;

const RESOURCE_TYPES: Record<ConfigResourceType, number> = { topic: 2, broker: 4, 'broker-logger': 8 };
const RESOURCE_NAMES = new Map<number, ConfigResourceType>([[2, 'topic'], [4, 'broker'], [8, 'broker-logger']]);
const ALTER_OPERATIONS: Record<AlterConfigOperation, number> = { set: 0, delete: 1, append: 2, subtract: 3 };
const CONFIG_SOURCE_DEFAULT = 5;
export const ADMIN_TIMEOUT_MS_DEFAULT = 30_000;

function context(apiName: string, apiKey: number, extra: Partial<RequestContext> = {}): RequestContext {
  return { apiName, apiKey, apiVersion: -1, ...extra };
}

function check(errorCode: number, apiName: string, apiKey: number, extra: Partial<RequestContext> = {}, message: string | null = null): void {
  if (errorCode !== 0) throw new KafkaResponseError(errorCode, context(apiName, apiKey, extra), message);
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const groupKey = keyOf(item);
    let list = groups.get(groupKey);
    if (!list) groups.set(groupKey, (list = []));
    list.push(item);
  }
  return groups;
}

export class Admin {
  readonly cluster: Cluster;
  private readonly timeoutMs: number;

  constructor(options: AdminOptions) {
    this.cluster = new Cluster(options);
    this.timeoutMs = options.requestTimeoutMs ?? ADMIN_TIMEOUT_MS_DEFAULT;
  }

  async connect(): Promise<void> {
    await this.cluster.anyBroker();
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }

  // --- topics -----------------------------------------------------------------------------

  /** Creates topics and waits until every partition has a leader. */
  async createTopics(topics: readonly NewTopic[], options: { validateOnly?: boolean; waitForLeaders?: boolean } = {}): Promise<void> {
    await this.cluster.withRetries(async () => {
      const response = await this.cluster.send('controller', Apis.CreateTopics, () => ({
        ...Apis.CreateTopics.request.defaults(),
        topics: topics.map((topic) => ({
          name: topic.name,
          numPartitions: topic.replicaAssignment ? -1 : (topic.numPartitions ?? -1),
          replicationFactor: topic.replicaAssignment ? -1 : (topic.replicationFactor ?? -1),
          assignments: Object.entries(topic.replicaAssignment ?? {}).map(([partition, brokerIds]) => ({ partitionIndex: Number(partition), brokerIds })),
          configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
        timeoutMs: this.timeoutMs,
        validateOnly: options.validateOnly ?? false,
      }));
      for (const result of response.topics) check(result.errorCode, 'CreateTopics', Apis.CreateTopics.apiKey, { topic: result.name }, result.errorMessage);
    });
    if (!options.validateOnly && options.waitForLeaders !== false) await this.waitForLeaders(topics.map((topic) => topic.name));
  }

  private async waitForLeaders(names: readonly string[]): Promise<void> {
    const deadlineMs = Date.now() + this.timeoutMs;
    for (;;) {
      await this.cluster.refreshMetadata(names).catch(() => {});
      const ready = names.every((name) => {
        const info = this.cluster.cachedTopic(name);
        return info && info.errorCode === 0 && info.partitions.length > 0 && info.partitions.every((partition) => partition && partition.leaderId >= 0);
      });
      if (ready) return;
      if (Date.now() > deadlineMs) throw new KafkaTimeoutError(`topics ${names.join(', ')} have no leaders after ${this.timeoutMs} ms`);
      await sleep(50);
    }
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    await this.cluster.withRetries(async () => {
      const response = await this.cluster.send('controller', Apis.DeleteTopics, (version) => ({
        ...Apis.DeleteTopics.request.defaults(),
        ...(version >= 6 ? { topics: names.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })) } : { topicNames: [...names] }),
        timeoutMs: this.timeoutMs,
      }));
      for (const result of response.responses) check(result.errorCode, 'DeleteTopics', Apis.DeleteTopics.apiKey, { topic: result.name ?? undefined }, result.errorMessage ?? null);
    });
    for (const name of names) this.cluster.invalidateTopic(name);
  }

  /** Topic names in the cluster (internal topics only when asked). */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const topics = await this.cluster.withRetries(() => this.cluster.allTopics());
    return topics
      .filter((topic) => topic.errorCode === 0 && (options.includeInternal || !topic.isInternal))
      .map((topic) => topic.name)
      .sort();
  }

  async describeTopics(names: readonly string[]): Promise<TopicInfo[]> {
    return this.cluster.withRetries(async () => {
      await this.cluster.refreshMetadata(names);
      return names.map((name) => {
        const info = this.cluster.cachedTopic(name);
        if (!info) throw new KafkaResponseError(3, context('Metadata', Apis.Metadata.apiKey, { topic: name }));
        check(info.errorCode, 'Metadata', Apis.Metadata.apiKey, { topic: name });
        return info;
      });
    }, names);
  }

  async createPartitions(requests: readonly { topic: string; count: number; assignments?: number[][] }[], options: { validateOnly?: boolean } = {}): Promise<void> {
    await this.cluster.withRetries(async () => {
      const response = await this.cluster.send('controller', Apis.CreatePartitions, () => ({
        ...Apis.CreatePartitions.request.defaults(),
        topics: requests.map((request) => ({
          name: request.topic,
          count: request.count,
          assignments: request.assignments ? request.assignments.map((brokerIds) => ({ brokerIds })) : null,
        })),
        timeoutMs: this.timeoutMs,
        validateOnly: options.validateOnly ?? false,
      }));
      for (const result of response.results) check(result.errorCode, 'CreatePartitions', Apis.CreatePartitions.apiKey, { topic: result.name }, result.errorMessage);
    });
    for (const request of requests) this.cluster.invalidateTopic(request.topic);
  }

  // --- configs ----------------------------------------------------------------------------

  /** Broker resources go to that broker; topic resources to any broker. */
  private targetFor(type: ConfigResourceType, name: string): number | 'any' {
    if (type === 'topic' || name === '') return 'any';
    const nodeId = Number(name);
    if (!Number.isInteger(nodeId)) throw new KafkaConfigError(`broker config resource name must be a broker id, got ${name}`);
    return nodeId;
  }

  async describeConfigs(resources: readonly ConfigResource[], options: { includeSynonyms?: boolean } = {}): Promise<ConfigDescription[]> {
    const byTarget = groupBy(resources, (resource) => String(this.targetFor(resource.type, resource.name)));
    const results: ConfigDescription[] = [];
    for (const [target, list] of byTarget) {
      const described = await this.cluster.withRetries(async () => {
        const response = await this.cluster.send(target === 'any' ? 'any' : Number(target), Apis.DescribeConfigs, () => ({
          ...Apis.DescribeConfigs.request.defaults(),
          resources: list.map((resource) => ({
            resourceType: RESOURCE_TYPES[resource.type],
            resourceName: resource.name,
            configurationKeys: resource.configNames ?? null,
          })),
          includeSynonyms: options.includeSynonyms ?? false,
          includeDocumentation: false,
        }));
        return response.results.map((result) => {
          check(result.errorCode, 'DescribeConfigs', Apis.DescribeConfigs.apiKey, { topic: result.resourceName }, result.errorMessage);
          return {
            type: RESOURCE_NAMES.get(result.resourceType) ?? 'topic',
            name: result.resourceName,
            configs: result.configs.map((config) => ({
              name: config.name,
              value: config.value,
              readOnly: config.readOnly,
              isDefault: config.isDefault || config.configSource === CONFIG_SOURCE_DEFAULT,
              isSensitive: config.isSensitive,
              source: config.configSource,
            })),
          } satisfies ConfigDescription;
        });
      });
      results.push(...described);
    }
    return results;
  }

  /** Replaces the whole dynamic config of each resource (legacy AlterConfigs). */
  async alterConfigs(resources: readonly { type: ConfigResourceType; name: string; configs: Record<string, string> }[], options: { validateOnly?: boolean } = {}): Promise<void> {
    for (const [target, list] of groupBy(resources, (resource) => String(this.targetFor(resource.type, resource.name)))) {
      await this.cluster.withRetries(async () => {
        const response = await this.cluster.send(target === 'any' ? 'any' : Number(target), Apis.AlterConfigs, () => ({
          ...Apis.AlterConfigs.request.defaults(),
          resources: list.map((resource) => ({
            resourceType: RESOURCE_TYPES[resource.type],
            resourceName: resource.name,
            configs: Object.entries(resource.configs).map(([name, value]) => ({ name, value })),
          })),
          validateOnly: options.validateOnly ?? false,
        }));
        for (const result of response.responses) check(result.errorCode, 'AlterConfigs', Apis.AlterConfigs.apiKey, { topic: result.resourceName }, result.errorMessage);
      });
    }
  }

  /** Sets, deletes, appends to or subtracts from single config entries (KIP-339). */
  async incrementalAlterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; configs: { name: string; value?: string | null; operation?: AlterConfigOperation }[] }[],
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    for (const [target, list] of groupBy(resources, (resource) => String(this.targetFor(resource.type, resource.name)))) {
      await this.cluster.withRetries(async () => {
        const response = await this.cluster.send(target === 'any' ? 'any' : Number(target), Apis.IncrementalAlterConfigs, () => ({
          ...Apis.IncrementalAlterConfigs.request.defaults(),
          resources: list.map((resource) => ({
            resourceType: RESOURCE_TYPES[resource.type],
            resourceName: resource.name,
            configs: resource.configs.map((config) => ({ name: config.name, configOperation: ALTER_OPERATIONS[config.operation ?? 'set'], value: config.value ?? null })),
          })),
          validateOnly: options.validateOnly ?? false,
        }));
        for (const result of response.responses) {
          check(result.errorCode, 'IncrementalAlterConfigs', Apis.IncrementalAlterConfigs.apiKey, { topic: result.resourceName }, result.errorMessage);
        }
      });
    }
  }

  // --- cluster ----------------------------------------------------------------------------

  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: BrokerInfo[] }> {
    return this.cluster.withRetries(async () => {
      const connection = await this.cluster.anyBroker();
      if (connection.supports(Apis.DescribeCluster)) {
        const response = await connection.send(Apis.DescribeCluster, () => ({ ...Apis.DescribeCluster.request.defaults(), includeClusterAuthorizedOperations: false, endpointType: 1 }));
        check(response.errorCode, 'DescribeCluster', Apis.DescribeCluster.apiKey, {}, response.errorMessage);
        return {
          clusterId: response.clusterId,
          controllerId: response.controllerId,
          brokers: response.brokers.map((broker) => ({ nodeId: broker.brokerId, host: broker.host, port: broker.port, rack: broker.rack })),
        };
      }
      await this.cluster.refreshMetadata([]);
      return { clusterId: this.cluster.clusterId, controllerId: this.cluster.controllerNodeId, brokers: this.cluster.cachedBrokers() };
    });
  }

  // --- offsets and records ----------------------------------------------------------------

  /** Offsets per partition at 'earliest', 'latest', or the first at/after a timestamp. */
  async listOffsets(requests: readonly (TopicPartition & { at: 'earliest' | 'latest' | number })[], options: { isolationLevel?: 'read_uncommitted' | 'read_committed' } = {}): Promise<(TopicPartitionOffset & { timestamp: number })[]> {
    const results = new Map<string, TopicPartitionOffset & { timestamp: number }>();
    await this.cluster.withRetries(async () => {
      const byLeader = new Map<number, typeof requests[number][]>();
      for (const request of requests) {
        const leader = await this.cluster.leaderFor(request.topic, request.partition);
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(request);
      }
      for (const [leaderId, list] of byLeader) {
        const response = await this.cluster.send(leaderId, Apis.ListOffsets, (version) => ({
          ...Apis.ListOffsets.request.defaults(),
          replicaId: -1,
          isolationLevel: options.isolationLevel === 'read_committed' && version >= 2 ? 1 : 0,
          topics: [...groupBy(list, (request) => request.topic)].map(([name, partitions]) => ({
            name,
            partitions: partitions.map((request) => ({
              partitionIndex: request.partition,
              currentLeaderEpoch: -1,
              timestamp: request.at === 'earliest' ? -2n : request.at === 'latest' ? -1n : BigInt(request.at),
              maxNumOffsets: 1,
            })),
          })),
          timeoutMs: this.timeoutMs,
        }));
        for (const topic of response.topics) {
          for (const partition of topic.partitions) {
            check(partition.errorCode, 'ListOffsets', Apis.ListOffsets.apiKey, { topic: topic.name, partition: partition.partitionIndex });
            results.set(`${topic.name}\u0000${partition.partitionIndex}`, { topic: topic.name, partition: partition.partitionIndex, offset: Number(partition.offset), timestamp: Number(partition.timestamp) });
          }
        }
      }
    });
    return requests.map((request) => results.get(`${request.topic}\u0000${request.partition}`) ?? { topic: request.topic, partition: request.partition, offset: -1, timestamp: -1 });
  }

  /** Deletes records before the given offsets (moves the log start offset); returns the new low watermarks. */
  async deleteRecords(requests: readonly TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    const results: TopicPartitionOffset[] = [];
    await this.cluster.withRetries(async () => {
      results.length = 0;
      const byLeader = new Map<number, TopicPartitionOffset[]>();
      for (const request of requests) {
        const leader = await this.cluster.leaderFor(request.topic, request.partition);
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(request);
      }
      for (const [leaderId, list] of byLeader) {
        const response = await this.cluster.send(leaderId, Apis.DeleteRecords, () => ({
          ...Apis.DeleteRecords.request.defaults(),
          topics: [...groupBy(list, (request) => request.topic)].map(([name, partitions]) => ({
            name,
            partitions: partitions.map((request) => ({ partitionIndex: request.partition, offset: BigInt(request.offset) })),
          })),
          timeoutMs: this.timeoutMs,
        }));
        for (const topic of response.topics) {
          for (const partition of topic.partitions) {
            check(partition.errorCode, 'DeleteRecords', Apis.DeleteRecords.apiKey, { topic: topic.name, partition: partition.partitionIndex });
            results.push({ topic: topic.name, partition: partition.partitionIndex, offset: Number(partition.lowWatermark) });
          }
        }
      }
    });
    return results;
  }

  async electLeaders(partitions: readonly TopicPartition[] | null, type: 'preferred' | 'unclean' = 'preferred'): Promise<void> {
    await this.cluster.withRetries(async () => {
      const response = await this.cluster.send('controller', Apis.ElectLeaders, () => ({
        ...Apis.ElectLeaders.request.defaults(),
        electionType: type === 'preferred' ? 0 : 1,
        topicPartitions: partitions === null ? null : [...groupBy(partitions, (tp) => tp.topic)].map(([topic, list]) => ({ topic, partitions: list.map((tp) => tp.partition) })),
        timeoutMs: this.timeoutMs,
      }));
      check(response.errorCode, 'ElectLeaders', Apis.ElectLeaders.apiKey);
      for (const topic of response.replicaElectionResults) {
        for (const partition of topic.partitionResult) {
          // ELECTION_NOT_NEEDED (84): the preferred leader already leads
          if (partition.errorCode !== 84) check(partition.errorCode, 'ElectLeaders', Apis.ElectLeaders.apiKey, { topic: topic.topic, partition: partition.partitionId }, partition.errorMessage);
        }
      }
    });
  }

  /** Moves partitions to new replica lists (null cancels a pending reassignment). */
  async reassignPartitions(requests: readonly (TopicPartition & { replicas: number[] | null })[]): Promise<void> {
    await this.cluster.withRetries(async () => {
      const response = await this.cluster.send('controller', Apis.AlterPartitionReassignments, () => ({
        ...Apis.AlterPartitionReassignments.request.defaults(),
        timeoutMs: this.timeoutMs,
        topics: [...groupBy(requests, (request) => request.topic)].map(([name, list]) => ({
          name,
          partitions: list.map((request) => ({ partitionIndex: request.partition, replicas: request.replicas })),
        })),
      }));
      check(response.errorCode, 'AlterPartitionReassignments', Apis.AlterPartitionReassignments.apiKey, {}, response.errorMessage);
      for (const topic of response.responses) {
        for (const partition of topic.partitions) check(partition.errorCode, 'AlterPartitionReassignments', Apis.AlterPartitionReassignments.apiKey, { topic: topic.name, partition: partition.partitionIndex }, partition.errorMessage);
      }
    });
  }

  // --- groups -----------------------------------------------------------------------------

  /** Groups known to every broker (each broker coordinates some of them). */
  async listGroups(): Promise<{ groupId: string; protocolType: string; state: string }[]> {
    await this.cluster.refreshMetadata([]);
    const groups: { groupId: string; protocolType: string; state: string }[] = [];
    for (const broker of this.cluster.cachedBrokers()) {
      const response = await this.cluster.withRetries(() =>
        this.cluster.send(broker.nodeId, Apis.ListGroups, () => ({ ...Apis.ListGroups.request.defaults(), statesFilter: [], typesFilter: [] })),
      );
      check(response.errorCode, 'ListGroups', Apis.ListGroups.apiKey);
      for (const group of response.groups) groups.push({ groupId: group.groupId, protocolType: group.protocolType, state: group.groupState });
    }
    return groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const descriptions: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const description = await this.cluster.withRetries(async () => {
        const coordinator = await this.cluster.coordinator(groupId, 0);
        const response = await coordinator.send(Apis.DescribeGroups, () => ({ ...Apis.DescribeGroups.request.defaults(), groups: [groupId], includeAuthorizedOperations: false }));
        const group = response.groups[0];
        if (!group) throw new KafkaResponseError(69, context('DescribeGroups', Apis.DescribeGroups.apiKey));
        this.checkGroupError(group.errorCode, 'DescribeGroups', Apis.DescribeGroups.apiKey, groupId);
        return {
          groupId: group.groupId,
          state: group.groupState,
          protocolType: group.protocolType,
          protocol: group.protocolData,
          members: group.members.map((member) => ({
            memberId: member.memberId,
            groupInstanceId: member.groupInstanceId,
            clientId: member.clientId,
            clientHost: member.clientHost,
            assignment: group.protocolType === 'consumer' ? safe(() => decodeAssignment(member.memberAssignment), []) : [],
            subscribedTopics:
              group.protocolType === 'consumer' && member.memberMetadata.length > 0 ? safe(() => decodeSubscription(member.memberId, null, member.memberMetadata).topics, []) : [],
          })),
        } satisfies GroupDescription;
      });
      descriptions.push(description);
    }
    return descriptions;
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const groupId of groupIds) {
      await this.cluster.withRetries(async () => {
        const coordinator = await this.cluster.coordinator(groupId, 0);
        const response = await coordinator.send(Apis.DeleteGroups, () => ({ ...Apis.DeleteGroups.request.defaults(), groupsNames: [groupId] }));
        for (const result of response.results) this.checkGroupError(result.errorCode, 'DeleteGroups', Apis.DeleteGroups.apiKey, groupId);
      });
    }
  }

  /** Committed offsets of a group (all partitions it committed, or the given topics). */
  async listGroupOffsets(groupId: string, topics?: readonly string[]): Promise<TopicPartitionOffset[]> {
    let partitionsByTopic: { name: string; partitionIndexes: number[] }[] | null = null;
    if (topics) {
      const infos = await this.describeTopics(topics);
      partitionsByTopic = infos.map((info) => ({ name: info.name, partitionIndexes: info.partitions.map((partition) => partition.partition) }));
    }
    return this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(groupId, 0);
      const response = await coordinator.send(Apis.OffsetFetch, () => ({ ...Apis.OffsetFetch.request.defaults(), groupId, topics: partitionsByTopic, requireStable: false }));
      this.checkGroupError(response.errorCode, 'OffsetFetch', Apis.OffsetFetch.apiKey, groupId);
      const result: TopicPartitionOffset[] = [];
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          this.checkGroupError(partition.errorCode, 'OffsetFetch', Apis.OffsetFetch.apiKey, groupId);
          if (partition.committedOffset >= 0n) result.push({ topic: topic.name, partition: partition.partitionIndex, offset: Number(partition.committedOffset) });
        }
      }
      return result;
    });
  }

  /** Sets a group's committed offsets (the group must have no active members). */
  async alterGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    await this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(groupId, 0);
      const response = await coordinator.send(Apis.OffsetCommit, () => ({
        ...Apis.OffsetCommit.request.defaults(),
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [...groupBy(offsets, (entry) => entry.topic)].map(([name, list]) => ({
          name,
          partitions: list.map((entry) => ({ partitionIndex: entry.partition, committedOffset: BigInt(entry.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })),
        })),
      }));
      for (const topic of response.topics) for (const partition of topic.partitions) this.checkGroupError(partition.errorCode, 'OffsetCommit', Apis.OffsetCommit.apiKey, groupId);
    });
  }

  async deleteGroupOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<void> {
    await this.cluster.withRetries(async () => {
      const coordinator = await this.cluster.coordinator(groupId, 0);
      const response = await coordinator.send(Apis.OffsetDelete, () => ({
        ...Apis.OffsetDelete.request.defaults(),
        groupId,
        topics: [...groupBy(partitions, (tp) => tp.topic)].map(([name, list]) => ({ name, partitions: list.map((tp) => ({ partitionIndex: tp.partition })) })),
      }));
      this.checkGroupError(response.errorCode, 'OffsetDelete', Apis.OffsetDelete.apiKey, groupId);
      for (const topic of response.topics) for (const partition of topic.partitions) this.checkGroupError(partition.errorCode, 'OffsetDelete', Apis.OffsetDelete.apiKey, groupId);
    });
  }

  // --- ACLs -------------------------------------------------------------------------------

  async describeAcls(filter: AclFilter = {}): Promise<AclBinding[]> {
    return this.cluster.withRetries(async () => {
      const response = await this.cluster.send('any', Apis.DescribeAcls, () => ({
        ...Apis.DescribeAcls.request.defaults(),
        ...aclFilterFields(filter),
      }));
      check(response.errorCode, 'DescribeAcls', Apis.DescribeAcls.apiKey, {}, response.errorMessage);
      return response.resources.flatMap((resource) =>
        resource.acls.map((acl) => ({
          resourceType: nameOf(ACL_RESOURCE_TYPES, resource.resourceType) as AclBinding['resourceType'],
          resourceName: resource.resourceName,
          patternType: nameOf(ACL_PATTERN_TYPES, resource.patternType) as AclBinding['patternType'],
          principal: acl.principal,
          host: acl.host,
          operation: nameOf(ACL_OPERATIONS, acl.operation) as AclBinding['operation'],
          permission: nameOf(ACL_PERMISSIONS, acl.permissionType) as AclBinding['permission'],
        })),
      );
    });
  }

  async createAcls(acls: readonly AclBinding[]): Promise<void> {
    await this.cluster.withRetries(async () => {
      const response = await this.cluster.send('any', Apis.CreateAcls, () => ({
        ...Apis.CreateAcls.request.defaults(),
        creations: acls.map((acl) => ({
          resourceType: ACL_RESOURCE_TYPES[acl.resourceType],
          resourceName: acl.resourceName,
          resourcePatternType: ACL_PATTERN_TYPES[acl.patternType ?? 'literal'],
          principal: acl.principal,
          host: acl.host ?? '*',
          operation: ACL_OPERATIONS[acl.operation],
          permissionType: ACL_PERMISSIONS[acl.permission],
        })),
      }));
      for (const result of response.results) check(result.errorCode, 'CreateAcls', Apis.CreateAcls.apiKey, {}, result.errorMessage);
    });
  }

  /** Deletes every ACL matching any of the filters; returns what was deleted. */
  async deleteAcls(filters: readonly AclFilter[]): Promise<AclBinding[]> {
    return this.cluster.withRetries(async () => {
      const response = await this.cluster.send('any', Apis.DeleteAcls, () => ({
        ...Apis.DeleteAcls.request.defaults(),
        filters: filters.map((filter) => aclFilterFields(filter)),
      }));
      const deleted: AclBinding[] = [];
      for (const result of response.filterResults) {
        check(result.errorCode, 'DeleteAcls', Apis.DeleteAcls.apiKey, {}, result.errorMessage);
        for (const acl of result.matchingAcls) {
          deleted.push({
            resourceType: nameOf(ACL_RESOURCE_TYPES, acl.resourceType) as AclBinding['resourceType'],
            resourceName: acl.resourceName,
            patternType: nameOf(ACL_PATTERN_TYPES, acl.patternType) as AclBinding['patternType'],
            principal: acl.principal,
            host: acl.host,
            operation: nameOf(ACL_OPERATIONS, acl.operation) as AclBinding['operation'],
            permission: nameOf(ACL_PERMISSIONS, acl.permissionType) as AclBinding['permission'],
          });
        }
      }
      return deleted;
    });
  }

  // --- SCRAM users ------------------------------------------------------------------------

  /** SCRAM credentials per user (all users when none are named). */
  async describeUserScramCredentials(users?: readonly string[]): Promise<{ user: string; credentials: { mechanism: ScramMechanism; iterations: number }[] }[]> {
    return this.cluster.withRetries(async () => {
      const response = await this.cluster.send('any', Apis.DescribeUserScramCredentials, () => ({
        ...Apis.DescribeUserScramCredentials.request.defaults(),
        users: users ? users.map((name) => ({ name })) : null,
      }));
      check(response.errorCode, 'DescribeUserScramCredentials', Apis.DescribeUserScramCredentials.apiKey, {}, response.errorMessage);
      return response.results.map((result) => {
        check(result.errorCode, 'DescribeUserScramCredentials', Apis.DescribeUserScramCredentials.apiKey, {}, result.errorMessage);
        return {
          user: result.user,
          credentials: result.credentialInfos.map((info) => ({ mechanism: nameOf(SCRAM_MECHANISMS, info.mechanism), iterations: info.iterations })),
        };
      });
    });
  }

  /**
   * Creates or updates SCRAM users (the password never leaves the client: the salted password is
   * computed here, as RFC 5802 and the Java admin client do) and deletes credentials.
   */
  async alterUserScramCredentials(changes: {
    upsertions?: readonly { user: string; mechanism: ScramMechanism; password: string; iterations?: number }[];
    deletions?: readonly { user: string; mechanism: ScramMechanism }[];
  }): Promise<void> {
    const upsertions = (changes.upsertions ?? []).map((upsertion) => {
      const iterations = upsertion.iterations ?? SCRAM_ITERATIONS_DEFAULT;
      const salt = crypto.randomBytes(32);
      const hash = upsertion.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
      const saltedPassword = crypto.pbkdf2Sync(upsertion.password.normalize('NFKC'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
      return { name: upsertion.user, mechanism: SCRAM_MECHANISMS[upsertion.mechanism], iterations, salt, saltedPassword };
    });
    await this.cluster.withRetries(async () => {
      const response = await this.cluster.send('any', Apis.AlterUserScramCredentials, () => ({
        ...Apis.AlterUserScramCredentials.request.defaults(),
        deletions: (changes.deletions ?? []).map((deletion) => ({ name: deletion.user, mechanism: SCRAM_MECHANISMS[deletion.mechanism] })),
        upsertions,
      }));
      for (const result of response.results) {
        check(result.errorCode, 'AlterUserScramCredentials', Apis.AlterUserScramCredentials.apiKey, {}, result.errorMessage ? `${result.user}: ${result.errorMessage}` : result.user);
      }
    });
  }

  private checkGroupError(errorCode: number, apiName: string, apiKey: number, groupId: string): void {
    if (errorCode === 0) return;
    if (errorCode === 14 || errorCode === 15 || errorCode === 16) this.cluster.forgetCoordinator(groupId, 0);
    throw new KafkaResponseError(errorCode, context(apiName, apiKey), `group ${groupId}`);
  }
}

function aclFilterFields(filter: AclFilter) {
  return {
    resourceTypeFilter: ACL_RESOURCE_TYPES[filter.resourceType ?? 'any'],
    resourceNameFilter: filter.resourceName ?? null,
    patternTypeFilter: ACL_PATTERN_TYPES[filter.patternType ?? 'any'],
    principalFilter: filter.principal ?? null,
    hostFilter: filter.host ?? null,
    operation: ACL_OPERATIONS[filter.operation ?? 'any'],
    permissionType: ACL_PERMISSIONS[filter.permission ?? 'any'],
  };
}

function safe<T>(compute: () => T, fallback: T): T {
  try {
    return compute();
  } catch {
    return fallback;
  }
}
