/**
 * The records the group coordinator writes to __consumer_offsets, in Kafka's formats so Kafka's
 * tools (kafka-console-consumer with the offsets formatter, DumpLogSegments --offsets-decoder)
 * read them: the key starts with an int16 record type (0/1 offset commit, 2 group metadata,
 * 3+ KIP-848 records), the value with an int16 schema version; a null value is a tombstone.
 * We write OffsetCommitKey v1 + OffsetCommitValue v3 (v1 when the commit carries an explicit
 * expire timestamp), GroupMetadataKey v2 + GroupMetadataValue v3, as Kafka 3.x/4.x does.
 */
import {
  GroupMetadataKey,
  GroupMetadataValue,
  OffsetCommitKey,
  OffsetCommitValue,
  Reader,
  Writer,
  type MessageCodec,
} from '@kafkaesque/protocol';
import type { CommittedOffset } from './offsets.ts';

export interface RawRecord {
  key: Buffer;
  value: Buffer | null;
}

export interface GroupMemberSnapshot {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupSnapshot {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  currentStateTimestampMs: number;
  members: GroupMemberSnapshot[];
}

export type CoordinatorRecord =
  | { type: 'offset'; groupId: string; topic: string; partition: number; offset: CommittedOffset | null }
  | { type: 'group'; groupId: string; group: GroupSnapshot | null }
  /** A record type we do not keep (KIP-848 / share group records written by Kafka). */
  | { type: 'other'; recordType: number };

const OFFSET_COMMIT_KEY_VERSION = 1;
const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
const GROUP_METADATA_VALUE_VERSION = 3;

function encodeVersioned<T>(codec: MessageCodec<T>, version: number, message: T): Buffer {
  const writer = new Writer();
  writer.int16(version);
  codec.encode(writer, message, version);
  return writer.finish();
}

export function offsetCommitKey(groupId: string, topic: string, partition: number): Buffer {
  return encodeVersioned(OffsetCommitKey, OFFSET_COMMIT_KEY_VERSION, { group: groupId, topic, partition });
}

export function groupMetadataKey(groupId: string): Buffer {
  return encodeVersioned(GroupMetadataKey, GROUP_METADATA_KEY_VERSION, { group: groupId });
}

export function encodeOffsetCommit(groupId: string, topic: string, partition: number, offset: CommittedOffset): RawRecord {
  const version = offset.expireTimestampMs === null ? OFFSET_COMMIT_VALUE_VERSION : OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY;
  const value = encodeVersioned(OffsetCommitValue, version, {
    offset: BigInt(offset.offset),
    leaderEpoch: offset.leaderEpoch,
    metadata: offset.metadata,
    commitTimestamp: BigInt(offset.commitTimestampMs),
    expireTimestamp: BigInt(offset.expireTimestampMs ?? -1),
  });
  return { key: offsetCommitKey(groupId, topic, partition), value };
}

export function offsetTombstone(groupId: string, topic: string, partition: number): RawRecord {
  return { key: offsetCommitKey(groupId, topic, partition), value: null };
}

export function encodeGroupMetadata(groupId: string, group: GroupSnapshot): RawRecord {
  const value = encodeVersioned(GroupMetadataValue, GROUP_METADATA_VALUE_VERSION, {
    protocolType: group.protocolType,
    generation: group.generationId,
    protocol: group.protocolName,
    leader: group.leaderId,
    currentStateTimestamp: BigInt(group.currentStateTimestampMs),
    members: group.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeout: member.rebalanceTimeoutMs,
      sessionTimeout: member.sessionTimeoutMs,
      subscription: member.subscription,
      assignment: member.assignment,
    })),
  });
  return { key: groupMetadataKey(groupId), value };
}

export function groupTombstone(groupId: string): RawRecord {
  return { key: groupMetadataKey(groupId), value: null };
}

/** Decodes one record of __consumer_offsets; throws ProtocolDecodeError on malformed bytes. */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord {
  const keyReader = new Reader(key);
  const recordType = keyReader.int16();
  if (recordType === 0 || recordType === 1) {
    const decodedKey = OffsetCommitKey.decode(keyReader, recordType);
    return { type: 'offset', groupId: decodedKey.group, topic: decodedKey.topic, partition: decodedKey.partition, offset: value ? decodeOffsetValue(value) : null };
  }
  if (recordType === 2) {
    const decodedKey = GroupMetadataKey.decode(keyReader, recordType);
    return { type: 'group', groupId: decodedKey.group, group: value ? decodeGroupValue(value) : null };
  }
  return { type: 'other', recordType };
}

function decodeOffsetValue(value: Buffer): CommittedOffset {
  const reader = new Reader(value);
  const version = reader.int16();
  const decoded = OffsetCommitValue.decode(reader, version);
  const expireTimestampMs = Number(decoded.expireTimestamp);
  return {
    offset: Number(decoded.offset),
    leaderEpoch: decoded.leaderEpoch,
    metadata: decoded.metadata,
    commitTimestampMs: Number(decoded.commitTimestamp),
    expireTimestampMs: expireTimestampMs >= 0 ? expireTimestampMs : null,
  };
}

function decodeGroupValue(value: Buffer): GroupSnapshot {
  const reader = new Reader(value);
  const version = reader.int16();
  const decoded = GroupMetadataValue.decode(reader, version);
  return {
    protocolType: decoded.protocolType,
    generationId: decoded.generation,
    protocolName: decoded.protocol,
    leaderId: decoded.leader,
    currentStateTimestampMs: Number(decoded.currentStateTimestamp),
    members: decoded.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeoutMs: member.rebalanceTimeout,
      sessionTimeoutMs: member.sessionTimeout,
      subscription: member.subscription,
      assignment: member.assignment,
    })),
  };
}
