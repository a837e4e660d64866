/**
 * Every version of every group API over a real connection: a whole classic group life cycle
 * (FindCoordinator, JoinGroup with MEMBER_ID_REQUIRED from v4, SyncGroup, Heartbeat,
 * OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, LeaveGroup, DeleteGroups, OffsetDelete)
 * per JoinGroup version, the static-leader rejoin per version, and a KIP-848 round trip. The
 * broker must answer each one (a response that fails to encode would close the connection).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsumerGroupDescribeRequest, ConsumerGroupHeartbeatRequest, DeleteGroupsRequest, DescribeGroupsRequest, ErrorCode,
  FindCoordinatorRequest, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, ListGroupsRequest, OffsetCommitRequest,
  OffsetDeleteRequest, OffsetFetchRequest, SyncGroupRequest, decodeResponse, encodeRequest,
} from '@kafkaesque/protocol';
import { startCluster, type Cluster } from '@kafkaesque/broker';

class RawClient {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiting: ((frame: Buffer) => void) | null = null;
  #correlationId = 0;
  closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    socket.on('close', () => { this.closed = true; });
  }

  static open(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  #drain(): void {
    if (this.#buffer.length < 4 || !this.#waiting) return;
    const size = this.#buffer.readInt32BE(0);
    if (this.#buffer.length < 4 + size) return;
    const frame = this.#buffer.subarray(4, 4 + size);
    this.#buffer = this.#buffer.subarray(4 + size);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting(frame);
  }

  async send<T = any>(apiKey: number, version: number, body: unknown): Promise<T> {
    const correlationId = ++this.#correlationId;
    const frame = new Promise<Buffer>((resolve, reject) => {
      this.#waiting = resolve;
      this.#socket.once('close', () => reject(new Error(`connection closed by the broker (API ${apiKey} v${version})`)));
    });
    this.#socket.write(encodeRequest(apiKey, version, correlationId, 'versions-test', body));
    this.#drain();
    const response = decodeResponse<T>(apiKey, version, await frame);
    expect(response.correlationId).toBe(correlationId);
    return response.body;
  }

  close(): void {
    this.#socket.destroy();
  }
}

let cluster: Cluster;
let client: RawClient;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '4' } });
  const [host, port] = cluster.bootstrap.split(',')[0].split(':');
  client = await RawClient.open(host, Number(port));
});

afterAll(async () => {
  client?.close();
  await cluster?.close();
});

const METADATA = Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);

async function join(version: number, groupId: string, memberId = '', groupInstanceId: string | null = null) {
  const request = {
    ...JoinGroupRequest.defaults(), groupId, sessionTimeoutMs: 10_000, memberId, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: METADATA }],
    ...(version >= 1 ? { rebalanceTimeoutMs: 10_000 } : {}),
    ...(version >= 5 ? { groupInstanceId } : {}),
  };
  let response = await client.send(11, version, request);
  if (response.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    expect(version).toBeGreaterThanOrEqual(4);
    response = await client.send(11, version, { ...request, memberId: response.memberId });
  }
  return response;
}

describe('every version of the group APIs', () => {
  for (let version = 0; version <= 9; version++) {
    it(`runs a classic group life cycle with JoinGroup v${version} and matching versions of the others`, async () => {
      const groupId = `life-${version}`;
      const findVersion = Math.min(version, 6);
      const found = await client.send(10, findVersion, findVersion >= 4
        ? { ...FindCoordinatorRequest.defaults(), keyType: 0, coordinatorKeys: [groupId] }
        : { ...FindCoordinatorRequest.defaults(), key: groupId, ...(findVersion >= 1 ? { keyType: 0 } : {}) });
      const coordinator = findVersion >= 4 ? found.coordinators[0] : found;
      expect(coordinator).toMatchObject({ errorCode: 0, nodeId: 1 });

      const joined = await join(version, groupId);
      expect(joined).toMatchObject({ errorCode: 0, generationId: 1 });
      expect(joined.leader).toBe(joined.memberId);
      const syncVersion = Math.min(version, 5);
      const synced = await client.send(14, syncVersion, {
        ...SyncGroupRequest.defaults(), groupId, generationId: 1, memberId: joined.memberId,
        ...(syncVersion >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}),
        assignments: [{ memberId: joined.memberId, assignment: Buffer.from('assignment') }],
      });
      expect(synced).toMatchObject({ errorCode: 0, assignment: Buffer.from('assignment') });
      const beat = await client.send(12, Math.min(version, 4), { ...HeartbeatRequest.defaults(), groupId, generationId: 1, memberId: joined.memberId });
      expect(beat.errorCode).toBe(0);

      const commitVersion = version;
      const committed = await client.send(8, commitVersion, {
        ...OffsetCommitRequest.defaults(), groupId,
        ...(commitVersion >= 1 ? { generationIdOrMemberEpoch: 1, memberId: joined.memberId } : {}),
        topics: [{ name: 'topic', partitions: [{ ...OffsetCommitRequest.defaults().topics[0]?.partitions?.[0], partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'meta' }] }],
      });
      expect(committed.topics[0].partitions[0].errorCode).toBe(0);
      const fetched = await client.send(9, version, version >= 8
        ? { ...OffsetFetchRequest.defaults(), groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: 'topic', partitionIndexes: [0, 1] }] }] }
        : { ...OffsetFetchRequest.defaults(), groupId, topics: [{ name: 'topic', partitionIndexes: [0, 1] }] });
      const partitions = version >= 8 ? fetched.groups[0].topics[0].partitions : fetched.topics[0].partitions;
      expect(partitions.map((partition: { committedOffset: bigint }) => partition.committedOffset)).toEqual([42n, -1n]);

      const describeVersion = Math.min(version, 5);
      const described = await client.send(15, describeVersion, { ...DescribeGroupsRequest.defaults(), groups: [groupId] });
      expect(described.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      const listVersion = Math.min(version, 5);
      const listed = await client.send(16, listVersion, ListGroupsRequest.defaults());
      expect(listed.groups.map((group: { groupId: string }) => group.groupId)).toContain(groupId);

      const leaveVersion = Math.min(version, 5);
      const left = await client.send(13, leaveVersion, leaveVersion >= 3
        ? { ...LeaveGroupRequest.defaults(), groupId, members: [{ memberId: joined.memberId, groupInstanceId: null, reason: null }] }
        : { ...LeaveGroupRequest.defaults(), groupId, memberId: joined.memberId });
      expect(left.errorCode).toBe(0);
      if (leaveVersion >= 3) expect(left.members[0].errorCode).toBe(0);

      const offsetDeleted = await client.send(47, 0, { ...OffsetDeleteRequest.defaults(), groupId, topics: [{ name: 'topic', partitions: [{ partitionIndex: 0 }] }] });
      expect(offsetDeleted.errorCode).toBe(0);
      const deleted = await client.send(42, Math.min(version, 2), { ...DeleteGroupsRequest.defaults(), groupsNames: [groupId] });
      expect(deleted.results).toEqual([expect.objectContaining({ groupId, errorCode: 0 })]);
      expect(client.closed).toBe(false);
    });
  }

  for (let version = 5; version <= 9; version++) {
    it(`lets a static leader rejoin a stable group with JoinGroup v${version}`, async () => {
      const groupId = `static-${version}`;
      const first = await join(version, groupId, '', 'instance');
      await client.send(14, Math.min(version, 5), {
        ...SyncGroupRequest.defaults(), groupId, generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'instance',
        ...(version >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}),
        assignments: [{ memberId: first.memberId, assignment: Buffer.from('kept') }],
      });
      const again = await join(version, groupId, '', 'instance');
      expect(again).toMatchObject({ errorCode: 0, generationId: first.generationId, leader: again.memberId, skipAssignment: version >= 9 });
      expect(again.members).toHaveLength(version >= 9 ? 1 : 0);
      const synced = await client.send(14, Math.min(version, 5), {
        ...SyncGroupRequest.defaults(), groupId, generationId: first.generationId, memberId: again.memberId, groupInstanceId: 'instance', assignments: [],
      });
      expect(synced.assignment).toEqual(Buffer.from('kept'));
    });
  }

  it('finds transaction coordinators (key type 1), batches keys from v4, rejects unknown key types', async () => {
    for (let version = 1; version <= 6; version++) {
      const response = await client.send(10, version, version >= 4
        ? { ...FindCoordinatorRequest.defaults(), keyType: 1, coordinatorKeys: ['txn-a', 'txn-b', ''] }
        : { ...FindCoordinatorRequest.defaults(), keyType: 1, key: 'txn-a' });
      if (version >= 4) {
        expect(response.coordinators.map((entry: { key: string; errorCode: number; nodeId: number }) => [entry.key, entry.errorCode, entry.nodeId])).toEqual([
          ['txn-a', 0, 1], ['txn-b', 0, 1], ['', ErrorCode.INVALID_REQUEST, -1],
        ]);
      } else {
        expect(response).toMatchObject({ errorCode: 0, nodeId: 1 });
      }
    }
    const unknown = await client.send(10, 3, { ...FindCoordinatorRequest.defaults(), keyType: 7, key: 'x' });
    expect(unknown.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(cluster.metadata.topic('__transaction_state')?.internal).toBe(true);
  });

  it('serves ConsumerGroupHeartbeat v0–1 and ConsumerGroupDescribe v0', async () => {
    for (const version of [0, 1]) {
      const groupId = `kip848-${version}`;
      const beat = await client.send(68, version, {
        ...ConsumerGroupHeartbeatRequest.defaults(), groupId, memberId: version >= 1 ? 'client-made-id' : '', memberEpoch: 0,
        rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['nothing-yet'], topicPartitions: [],
      });
      expect(beat).toMatchObject({ errorCode: 0, memberEpoch: 1, heartbeatIntervalMs: 5000 });
      if (version >= 1) expect(beat.memberId).toBe('client-made-id');
      const described = await client.send(69, 0, { ...ConsumerGroupDescribeRequest.defaults(), groupIds: [groupId] });
      expect(described.groups[0]).toMatchObject({ errorCode: 0, groupId, groupState: 'Stable', assignorName: 'uniform' });
      expect(described.groups[0].members[0].memberId).toBe(beat.memberId);
    }
  });

  it('answers a pending JoinGroup with NOT_COORDINATOR when the broker shuts down', async () => {
    const slow = await startCluster({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '60000', 'offsets.topic.num.partitions': '1' } });
    try {
      const [host, port] = slow.bootstrap.split(':');
      const raw = await RawClient.open(host, Number(port));
      await raw.send(10, 0, { ...FindCoordinatorRequest.defaults(), key: 'slow-group' });
      const pending = raw.send(11, 3, {
        ...JoinGroupRequest.defaults(), groupId: 'slow-group', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 120_000, memberId: '',
        protocolType: 'consumer', protocols: [{ name: 'range', metadata: METADATA }],
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopping = slow.stopBroker(1);
      expect((await pending).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      await stopping;
      raw.close();
    } finally {
      await slow.close();
    }
  });
});
