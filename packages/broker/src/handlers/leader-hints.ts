/**
 * KIP-951: when a partition answers NOT_LEADER_OR_FOLLOWER (or a fenced epoch), Produce v10+
 * and Fetch v12+ also say who leads it now and where that broker listens, so the client can
 * redirect without a Metadata round trip. Shared by the two handlers.
 */
import { ErrorCode } from '@kafkaesque/protocol';
import type { BrokerServices } from './types.ts';

export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

const REDIRECT_CODES: ReadonlySet<number> = new Set([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH]);

export function needsLeaderHint(errorCode: number): boolean {
  return REDIRECT_CODES.has(errorCode);
}

/** The partition's current leader and epoch as the metadata knows them, when it has one. */
export function currentLeader(services: BrokerServices, topic: string, partition: number): LeaderIdAndEpoch | undefined {
  const state = services.metadata.topic(topic)?.partitions[partition];
  if (state === undefined || state.leader < 0) return undefined;
  return { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
}

/** Endpoints of the given brokers (those named in leader hints), sorted by id. */
export function nodeEndpoints(services: BrokerServices, brokerIds: Iterable<number>): NodeEndpoint[] {
  const wanted = new Set(brokerIds);
  return services.metadata
    .brokers()
    .filter((broker) => wanted.has(broker.id))
    .map((broker) => ({ nodeId: broker.id, host: broker.host, port: broker.port, rack: broker.rack }));
}
