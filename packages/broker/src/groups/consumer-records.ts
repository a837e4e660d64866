/**
 * KIP-848 group state as Kafka writes it to __consumer_offsets (record types 3, 5, 6, 7, 8):
 * ConsumerGroupMetadata (group epoch), ConsumerGroupMemberMetadata (subscription and identity
 * per member), ConsumerGroupTargetAssignmentMetadata (assignment epoch),
 * ConsumerGroupTargetAssignmentMember (target per member) and
 * ConsumerGroupCurrentMemberAssignment (member epoch, state, assigned and pending-revocation
 * partitions). `snapshotConsumerGroup` renders a group as these records; the coordinator
 * writes the difference to what it wrote last, and `ConsumerGroupParts` rebuilds a group when
 * a partition loads, so a coordinator move keeps members and their epochs.
 */
import {
  ConsumerGroupCurrentMemberAssignmentKey,
  ConsumerGroupCurrentMemberAssignmentValue,
  ConsumerGroupMemberMetadataKey,
  ConsumerGroupMemberMetadataValue,
  ConsumerGroupMetadataKey,
  ConsumerGroupMetadataValue,
  ConsumerGroupTargetAssignmentMemberKey,
  ConsumerGroupTargetAssignmentMemberValue,
  ConsumerGroupTargetAssignmentMetadataKey,
  ConsumerGroupTargetAssignmentMetadataValue,
  Reader,
  Writer,
  type MessageCodec,
} from '@kafkaesque/protocol';
import type { Assignment } from './assignors.ts';
import { ConsumerGroup, ConsumerMemberState, type ConsumerMember, type ConsumerMemberStateName } from './consumer-group.ts';
import type { RawRecord } from './records.ts';

export const ConsumerRecordType = { groupMetadata: 3, memberMetadata: 5, targetMetadata: 6, targetMember: 7, currentAssignment: 8 } as const;

/** Kafka's MemberState byte values. */
const STATE_BYTES: Record<ConsumerMemberStateName, number> = { stable: 0, unreleased_partitions: 1, unrevoked_partitions: 2 };
const STATE_BY_BYTE = new Map<number, ConsumerMemberStateName>(Object.entries(STATE_BYTES).map(([name, value]) => [value, name as ConsumerMemberStateName]));

function encode<T>(codec: MessageCodec<T>, version: number, message: T): Buffer {
  const writer = new Writer();
  writer.int16(version);
  codec.encode(writer, message, version);
  return writer.finish();
}

function decodeValue<T>(codec: MessageCodec<T>, value: Buffer): T {
  const reader = new Reader(value);
  const version = Math.min(reader.int16(), codec.validVersions.max);
  return codec.decode(reader, version);
}

const toList = (assignment: Assignment) => [...assignment].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
const fromList = (list: readonly { topicId: string; partitions: number[] }[]): Assignment =>
  new Map(list.filter((entry) => entry.partitions.length > 0).map((entry) => [entry.topicId, [...entry.partitions].sort((a, b) => a - b)]));

/** The keys (hex) of a member's records (metadata, target, current assignment). */
export function memberRecordKeys(groupId: string, memberId: string): string[] {
  return [
    encode(ConsumerGroupMemberMetadataKey, 5, { groupId, memberId }),
    encode(ConsumerGroupTargetAssignmentMemberKey, 7, { groupId, memberId }),
    encode(ConsumerGroupCurrentMemberAssignmentKey, 8, { groupId, memberId }),
  ].map((key) => key.toString('hex'));
}

/**
 * The group as Kafka's records, keyed by the hex of each record key: the group-level records,
 * the records of `memberIds` (default: every member) and, when `withTargets`, every member's
 * target assignment. A heartbeat changes only its own member's records and, with a new
 * assignment epoch, the targets: scoping keeps a heartbeat's cost independent of the group size.
 */
export function snapshotConsumerGroup(group: ConsumerGroup, memberIds?: Iterable<string>, withTargets = true): Map<string, RawRecord> {
  const records = new Map<string, RawRecord>();
  const add = (key: Buffer, value: Buffer) => records.set(key.toString('hex'), { key, value });
  const groupId = group.groupId;
  add(encode(ConsumerGroupMetadataKey, 3, { groupId }), encode(ConsumerGroupMetadataValue, 0, { epoch: group.groupEpoch }));
  add(encode(ConsumerGroupTargetAssignmentMetadataKey, 6, { groupId }), encode(ConsumerGroupTargetAssignmentMetadataValue, 0, { assignmentEpoch: group.assignmentEpoch }));
  const selected = memberIds === undefined ? [...group.members.values()] : [...memberIds].flatMap((memberId) => group.members.get(memberId) ?? []);
  for (const member of selected) {
    const memberId = member.memberId;
    add(encode(ConsumerGroupMemberMetadataKey, 5, { groupId, memberId }), encode(ConsumerGroupMemberMetadataValue, 0, {
      instanceId: member.instanceId, rackId: member.rackId, clientId: member.clientId, clientHost: member.clientHost,
      subscribedTopicNames: member.subscribedTopicNames, subscribedTopicRegex: member.subscribedTopicRegex,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs, serverAssignor: member.serverAssignor, classicMemberMetadata: null,
    }));
    add(encode(ConsumerGroupCurrentMemberAssignmentKey, 8, { groupId, memberId }), encode(ConsumerGroupCurrentMemberAssignmentValue, 0, {
      memberEpoch: member.memberEpoch, previousMemberEpoch: member.previousMemberEpoch, state: STATE_BYTES[member.state],
      assignedPartitions: toList(member.assigned), partitionsPendingRevocation: toList(member.pendingRevocation),
    }));
  }
  if (!withTargets) return records;
  for (const [memberId, target] of group.targetAssignment) {
    add(encode(ConsumerGroupTargetAssignmentMemberKey, 7, { groupId, memberId }), encode(ConsumerGroupTargetAssignmentMemberValue, 0, { topicPartitions: toList(target) }));
  }
  return records;
}

/** The pieces of one consumer group met while loading a partition (last record wins). */
export class ConsumerGroupParts {
  readonly groupId: string;
  epoch: number | null = null;
  assignmentEpoch = 0;
  readonly members = new Map<string, { metadata?: ReturnType<typeof ConsumerGroupMemberMetadataValue.defaults>; current?: ReturnType<typeof ConsumerGroupCurrentMemberAssignmentValue.defaults> }>();
  readonly targets = new Map<string, Assignment>();
  /** key hex → value hex of every live record (what the coordinator has written). */
  readonly written = new Map<string, string>();

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  /** Applies one record of type 3/5/6/7/8 (key reader positioned after the type). */
  apply(recordType: number, keyReader: Reader, key: Buffer, value: Buffer | null): void {
    const keyHex = key.toString('hex');
    if (value === null) this.written.delete(keyHex);
    else this.written.set(keyHex, value.toString('hex'));
    switch (recordType) {
      case ConsumerRecordType.groupMetadata:
        this.epoch = value === null ? null : decodeValue(ConsumerGroupMetadataValue, value).epoch;
        return;
      case ConsumerRecordType.targetMetadata:
        this.assignmentEpoch = value === null ? 0 : decodeValue(ConsumerGroupTargetAssignmentMetadataValue, value).assignmentEpoch;
        return;
      case ConsumerRecordType.targetMember: {
        const { memberId } = ConsumerGroupTargetAssignmentMemberKey.decode(keyReader, recordType);
        if (value === null) this.targets.delete(memberId);
        else this.targets.set(memberId, fromList(decodeValue(ConsumerGroupTargetAssignmentMemberValue, value).topicPartitions));
        return;
      }
      case ConsumerRecordType.memberMetadata: {
        const { memberId } = ConsumerGroupMemberMetadataKey.decode(keyReader, recordType);
        if (value === null) this.members.delete(memberId);
        else this.#member(memberId).metadata = decodeValue(ConsumerGroupMemberMetadataValue, value);
        return;
      }
      case ConsumerRecordType.currentAssignment: {
        const { memberId } = ConsumerGroupCurrentMemberAssignmentKey.decode(keyReader, recordType);
        if (value === null) {
          const member = this.members.get(memberId);
          if (member) delete member.current;
        } else {
          this.#member(memberId).current = decodeValue(ConsumerGroupCurrentMemberAssignmentValue, value);
        }
        return;
      }
      default:
        return;
    }
  }

  #member(memberId: string) {
    let member = this.members.get(memberId);
    if (!member) this.members.set(memberId, (member = {}));
    return member;
  }

  /** The group, or undefined when its metadata record was deleted. */
  restore(nowMs: number): ConsumerGroup | undefined {
    if (this.epoch === null) return undefined;
    const group = new ConsumerGroup(this.groupId, nowMs);
    group.groupEpoch = this.epoch;
    group.assignmentEpoch = this.assignmentEpoch;
    group.persistedAssignmentEpoch = this.assignmentEpoch;
    group.metadataSignature = null;
    for (const [memberId, parts] of this.members) {
      if (!parts.metadata) continue;
      const current = parts.current;
      const member: ConsumerMember = {
        memberId,
        instanceId: parts.metadata.instanceId,
        rackId: parts.metadata.rackId,
        clientId: parts.metadata.clientId,
        clientHost: parts.metadata.clientHost,
        rebalanceTimeoutMs: parts.metadata.rebalanceTimeoutMs,
        subscribedTopicNames: [...parts.metadata.subscribedTopicNames].sort(),
        subscribedTopicRegex: parts.metadata.subscribedTopicRegex,
        serverAssignor: parts.metadata.serverAssignor,
        memberEpoch: current?.memberEpoch ?? 0,
        previousMemberEpoch: current?.previousMemberEpoch ?? -1,
        state: STATE_BY_BYTE.get(current?.state ?? 0) ?? ConsumerMemberState.Stable,
        assigned: fromList(current?.assignedPartitions ?? []),
        pendingRevocation: fromList(current?.partitionsPendingRevocation ?? []),
        lastSentAssignmentKey: null,
        sessionTimer: null,
        revocationTimer: null,
        leftTemporarily: false,
      };
      group.members.set(memberId, member);
      if (member.instanceId !== null) group.staticMembers.set(member.instanceId, memberId);
    }
    for (const [memberId, target] of this.targets) if (group.members.has(memberId)) group.targetAssignment.set(memberId, target);
    for (const [key, value] of this.written) group.persisted.set(key, value);
    return group;
  }
}
