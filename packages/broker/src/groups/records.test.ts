import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError } from '@kafkaesque/protocol';
import {
  decodeCoordinatorRecord,
  encodeGroupMetadata,
  encodeOffsetCommit,
  groupTombstone,
  offsetTombstone,
  type GroupSnapshot,
} from './records.ts';

function kafkaString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function int(bytes: number, value: number | bigint): Buffer {
  const buffer = Buffer.alloc(bytes);
  if (bytes === 2) buffer.writeInt16BE(Number(value));
  else if (bytes === 4) buffer.writeInt32BE(Number(value));
  else buffer.writeBigInt64BE(BigInt(value));
  return buffer;
}

describe('__consumer_offsets records (Kafka formats)', () => {
  it('writes OffsetCommitKey v1 and OffsetCommitValue v3 byte for byte as Kafka does', () => {
    const record = encodeOffsetCommit('g', 'topic', 7, { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1_700_000_000_000, expireTimestampMs: null });
    expect(record.key).toEqual(Buffer.concat([int(2, 1), kafkaString('g'), kafkaString('topic'), int(4, 7)]));
    expect(record.value).toEqual(Buffer.concat([int(2, 3), int(8, 42), int(4, 5), kafkaString('m'), int(8, 1_700_000_000_000)]));
  });

  it('writes OffsetCommitValue v1 when the commit carries an expire timestamp', () => {
    const record = encodeOffsetCommit('g', 't', 0, { offset: 1, leaderEpoch: -1, metadata: '', commitTimestampMs: 10, expireTimestampMs: 99 });
    expect(record.value).toEqual(Buffer.concat([int(2, 1), int(8, 1), kafkaString(''), int(8, 10), int(8, 99)]));
  });

  it('writes GroupMetadataKey v2 and GroupMetadataValue v3', () => {
    const snapshot: GroupSnapshot = {
      protocolType: 'consumer', generationId: 3, protocolName: 'range', leaderId: 'm1', currentStateTimestampMs: 5,
      members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 300, sessionTimeoutMs: 100, subscription: Buffer.from([1]), assignment: Buffer.from([2, 3]) }],
    };
    const record = encodeGroupMetadata('g', snapshot);
    expect(record.key).toEqual(Buffer.concat([int(2, 2), kafkaString('g')]));
    const nullString = int(2, -1);
    const expected = Buffer.concat([
      int(2, 3), kafkaString('consumer'), int(4, 3), kafkaString('range'), kafkaString('m1'), int(8, 5), int(4, 1),
      kafkaString('m1'), nullString, kafkaString('c'), kafkaString('/h'), int(4, 300), int(4, 100),
      int(4, 1), Buffer.from([1]), int(4, 2), Buffer.from([2, 3]),
    ]);
    expect(record.value).toEqual(expected);
    expect(decodeCoordinatorRecord(record.key, record.value)).toEqual({ type: 'group', groupId: 'g', group: snapshot });
  });

  it('round-trips offsets and tombstones, and reads Kafka 0.8-style v0 keys', () => {
    fc.assert(fc.property(
      fc.string({ maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 100_000 }),
      fc.maxSafeNat(), fc.integer({ min: -1, max: 1000 }), fc.string({ maxLength: 100 }), fc.maxSafeNat(), fc.option(fc.maxSafeNat(), { nil: null }),
      (groupId, topic, partition, offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs) => {
        const committed = { offset, leaderEpoch: expireTimestampMs === null ? leaderEpoch : -1, metadata, commitTimestampMs, expireTimestampMs };
        const record = encodeOffsetCommit(groupId, topic, partition, committed);
        expect(decodeCoordinatorRecord(record.key, record.value)).toEqual({ type: 'offset', groupId, topic, partition, offset: committed });
        const tombstone = offsetTombstone(groupId, topic, partition);
        expect(decodeCoordinatorRecord(tombstone.key, tombstone.value)).toEqual({ type: 'offset', groupId, topic, partition, offset: null });
      },
    ), { numRuns: 200 });
    const v0Key = Buffer.concat([int(2, 0), kafkaString('g'), kafkaString('t'), int(4, 1)]);
    expect(decodeCoordinatorRecord(v0Key, null)).toMatchObject({ type: 'offset', groupId: 'g', topic: 't', partition: 1 });
    const tombstone = groupTombstone('g');
    expect(decodeCoordinatorRecord(tombstone.key, null)).toEqual({ type: 'group', groupId: 'g', group: null });
  });

  it('reports KIP-848 record types as other and fails cleanly on truncated bytes', () => {
    expect(decodeCoordinatorRecord(Buffer.concat([int(2, 3), kafkaString('g')]), null)).toEqual({ type: 'other', recordType: 3 });
    const record = encodeOffsetCommit('group', 'topic', 1, { offset: 1, leaderEpoch: 0, metadata: 'x', commitTimestampMs: 0, expireTimestampMs: null });
    fc.assert(fc.property(fc.integer({ min: 0, max: record.key.length - 1 }), (cut) => {
      expect(() => decodeCoordinatorRecord(record.key.subarray(0, cut), record.value)).toThrow(ProtocolDecodeError);
    }));
    fc.assert(fc.property(fc.integer({ min: 0, max: record.value!.length - 1 }), (cut) => {
      expect(() => decodeCoordinatorRecord(record.key, record.value!.subarray(0, cut))).toThrow(ProtocolDecodeError);
    }));
  });
});
