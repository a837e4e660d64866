/**
 * Kafka's ZooKeeper-mode znode layout and JSON formats (what Kafka 2.x/3.x wrote), so that
 * zkCli / kazoo show the same tree teaching material about Kafka + ZooKeeper describes.
 * Parsing is defensive: a znode written by someone else with a bad shape is a typed error,
 * never a crash of the broker.
 */
import type { BrokerRegistration } from '../metadata/store.ts';

export const Paths = {
  brokerIds: '/brokers/ids',
  brokerTopics: '/brokers/topics',
  configTopics: '/config/topics',
  configBrokers: '/config/brokers',
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  deleteTopics: '/admin/delete_topics',
  clusterId: '/cluster/id',
  producerIdBlock: '/latest_producer_id_block',
  /** Not Kafka's: the secret brokers prove themselves with on replica fetches (see README). */
  interBrokerSecret: '/kafkaesque/inter_broker_secret',
  broker: (id: number) => `/brokers/ids/${id}`,
  topic: (name: string) => `/brokers/topics/${name}`,
  partitions: (name: string) => `/brokers/topics/${name}/partitions`,
  partition: (name: string, partition: number) => `/brokers/topics/${name}/partitions/${partition}`,
  partitionState: (name: string, partition: number) => `/brokers/topics/${name}/partitions/${partition}/state`,
  topicConfig: (name: string) => `/config/topics/${name}`,
  brokerConfig: (key: string) => `/config/brokers/${key}`,
  deleteTopic: (name: string) => `/admin/delete_topics/${name}`,
} as const;

/** Kafka's name of the cluster-wide dynamic broker config entity. */
export const DEFAULT_BROKER_CONFIG_KEY = '<default>';

/** The persistent parents every cluster needs (created idempotently at start). */
export const PERSISTENT_PATHS = [
  '/brokers', '/brokers/ids', '/brokers/topics', '/brokers/seqid', '/config', '/config/topics', '/config/brokers',
  '/config/changes', '/admin', '/admin/delete_topics', '/cluster', '/isr_change_notification', '/kafkaesque',
] as const;

export class ZnodeFormatError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ZnodeFormatError';
    this.path = path;
  }
}

function parseJson(path: string, data: Buffer | null): Record<string, unknown> {
  if (data === null) throw new ZnodeFormatError(path, 'no data');
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ZnodeFormatError(path, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ZnodeFormatError(path, 'not a JSON object');
  return value as Record<string, unknown>;
}

function intArray(path: string, value: unknown): number[] {
  if (!Array.isArray(value) || value.some((item) => !Number.isInteger(item))) throw new ZnodeFormatError(path, 'expected an array of integers');
  return value as number[];
}

function int(path: string, value: unknown, field: string): number {
  if (!Number.isInteger(value)) throw new ZnodeFormatError(path, `${field} is not an integer`);
  return value as number;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

// ---- /brokers/ids/<id> ---------------------------------------------------------------------

export function encodeBrokerRegistration(broker: BrokerRegistration, nowMs: number): Buffer {
  const endpoint = `PLAINTEXT://${broker.host}:${broker.port}`;
  return json({
    features: {},
    listener_security_protocol_map: { PLAINTEXT: 'PLAINTEXT' },
    endpoints: [endpoint],
    jmx_port: -1,
    port: broker.port,
    host: broker.host,
    version: 5,
    timestamp: String(nowMs),
    rack: broker.rack,
  });
}

export function decodeBrokerRegistration(path: string, id: number, data: Buffer | null): BrokerRegistration {
  const value = parseJson(path, data);
  let host = typeof value.host === 'string' ? value.host : '';
  let port = typeof value.port === 'number' ? value.port : -1;
  // Kafka writes host null / port -1 when the first listener is not PLAINTEXT: use endpoints.
  const endpoints = Array.isArray(value.endpoints) ? value.endpoints : [];
  if ((host === '' || port < 0) && typeof endpoints[0] === 'string') {
    const match = /^[A-Za-z_]+:\/\/\[?([^\]]*)\]?:(\d+)$/.exec(endpoints[0]);
    if (match) {
      host = match[1];
      port = Number(match[2]);
    }
  }
  if (host === '' || port < 0) throw new ZnodeFormatError(path, 'no usable endpoint');
  return { id, host, port, rack: typeof value.rack === 'string' ? value.rack : null };
}

// ---- /brokers/topics/<t> -------------------------------------------------------------------

export interface TopicAssignment {
  topicId: string | null;
  /** Replicas by partition index. */
  partitions: number[][];
  addingReplicas: Record<string, number[]>;
  removingReplicas: Record<string, number[]>;
}

export function encodeTopicAssignment(assignment: TopicAssignment): Buffer {
  const partitions: Record<string, number[]> = {};
  assignment.partitions.forEach((replicas, index) => (partitions[String(index)] = replicas));
  return json({
    partitions,
    topic_id: assignment.topicId,
    adding_replicas: assignment.addingReplicas,
    removing_replicas: assignment.removingReplicas,
    version: 3,
  });
}

export function decodeTopicAssignment(path: string, data: Buffer | null): TopicAssignment {
  const value = parseJson(path, data);
  const byIndex = value.partitions;
  if (typeof byIndex !== 'object' || byIndex === null) throw new ZnodeFormatError(path, 'no partitions');
  const entries = Object.entries(byIndex as Record<string, unknown>);
  const partitions: number[][] = new Array(entries.length);
  for (const [key, replicas] of entries) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length) throw new ZnodeFormatError(path, 'partitions are not 0..n-1');
    partitions[index] = intArray(path, replicas);
  }
  const record = (field: unknown): Record<string, number[]> =>
    typeof field === 'object' && field !== null ? (field as Record<string, number[]>) : {};
  return {
    topicId: typeof value.topic_id === 'string' ? value.topic_id : null,
    partitions,
    addingReplicas: record(value.adding_replicas),
    removingReplicas: record(value.removing_replicas),
  };
}

// ---- /brokers/topics/<t>/partitions/<p>/state -------------------------------------------------

export interface LeaderAndIsr {
  controllerEpoch: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export function encodeLeaderAndIsr(state: LeaderAndIsr): Buffer {
  return json({ controller_epoch: state.controllerEpoch, leader: state.leader, version: 1, leader_epoch: state.leaderEpoch, isr: state.isr });
}

export function decodeLeaderAndIsr(path: string, data: Buffer | null): LeaderAndIsr {
  const value = parseJson(path, data);
  return {
    controllerEpoch: int(path, value.controller_epoch, 'controller_epoch'),
    leader: int(path, value.leader, 'leader'),
    leaderEpoch: int(path, value.leader_epoch, 'leader_epoch'),
    isr: intArray(path, value.isr),
  };
}

// ---- /config/topics/<t>, /config/brokers/<id> ------------------------------------------------

export function encodeConfig(config: Record<string, string>): Buffer {
  return json({ version: 1, config });
}

export function decodeConfig(path: string, data: Buffer | null): Record<string, string> {
  const value = parseJson(path, data);
  const config = value.config;
  if (typeof config !== 'object' || config === null) return {};
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(config as Record<string, unknown>)) result[key] = String(item);
  return result;
}

// ---- /controller ---------------------------------------------------------------------------

export function encodeController(brokerId: number, nowMs: number): Buffer {
  return json({ version: 2, brokerid: brokerId, timestamp: String(nowMs), kraftControllerEpoch: -1 });
}

export function decodeController(path: string, data: Buffer | null): number {
  return int(path, parseJson(path, data).brokerid, 'brokerid');
}

// ---- /cluster/id, /latest_producer_id_block ----------------------------------------------------

export function encodeClusterId(id: string): Buffer {
  return json({ version: '1', id });
}

export function decodeClusterId(path: string, data: Buffer | null): string {
  const id = parseJson(path, data).id;
  if (typeof id !== 'string' || id === '') throw new ZnodeFormatError(path, 'no id');
  return id;
}

export function encodeProducerIdBlock(brokerId: number, start: bigint, end: bigint): Buffer {
  return json({ version: 1, broker: brokerId, block_start: String(start), block_end: String(end) });
}

/** The first producer id not yet handed out (block_end + 1), 0 when no block was allocated. */
export function decodeNextProducerId(path: string, data: Buffer | null): bigint {
  if (data === null || data.length === 0) return 0n;
  const end = parseJson(path, data).block_end;
  if (typeof end !== 'string' && typeof end !== 'number') throw new ZnodeFormatError(path, 'no block_end');
  return BigInt(end) + 1n;
}
