/**
 * Helpers shared by the group coordinator's unit tests (not used at runtime): a coordinator on
 * a manual clock over in-memory stores, and consumer-protocol metadata builders.
 */
import { ConsumerProtocolSubscription, Writer } from '@kafkaesque/protocol';
import { GroupCoordinator } from './coordinator.ts';
import type { GroupCoordinatorConfig } from './config.ts';
import type { TopicInfo, TopicMetadataSource } from './consumer-coordinator.ts';
import { ManualScheduler } from './scheduler.ts';
import { MemoryOffsetsStore } from './store.ts';
import type { JoinGroupParams } from './classic-coordinator.ts';

export interface Harness {
  coordinator: GroupCoordinator;
  scheduler: ManualScheduler;
  stores: Map<number, MemoryOffsetsStore>;
  /** Partitions this "broker" leads; tests remove one to simulate losing leadership. */
  led: Set<number>;
  topics: Map<string, TopicInfo>;
}

export function createHarness(config: Partial<GroupCoordinatorConfig> = {}, existing?: Map<number, MemoryOffsetsStore>): Harness {
  const scheduler = new ManualScheduler();
  const stores = existing ?? new Map<number, MemoryOffsetsStore>();
  const merged: Partial<GroupCoordinatorConfig> = { offsetsTopicPartitions: 4, groupInitialRebalanceDelayMs: 0, ...config };
  const led = new Set<number>(Array.from({ length: merged.offsetsTopicPartitions! }, (_, index) => index));
  const topics = new Map<string, TopicInfo>();
  const topicSource: TopicMetadataSource = {
    topicByName: (name) => topics.get(name),
    topicById: (topicId) => [...topics.values()].find((topic) => topic.topicId === topicId),
    topicNames: () => [...topics.keys()],
  };
  const coordinator = new GroupCoordinator({
    config: merged,
    scheduler,
    topics: topicSource,
    source: {
      storeFor(partition) {
        if (!led.has(partition)) return undefined;
        let store = stores.get(partition);
        if (!store) stores.set(partition, (store = new MemoryOffsetsStore(partition)));
        return store;
      },
    },
  });
  return { coordinator, scheduler, stores, led, topics };
}

/** Lets pending promise chains (store appends, loads) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let round = 0; round < rounds; round++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function subscription(topics: string[], userData: Buffer | null = null): Buffer {
  const writer = new Writer();
  writer.int16(1);
  ConsumerProtocolSubscription.encode(writer, { ...ConsumerProtocolSubscription.defaults(), topics, userData, ownedPartitions: [] }, 1);
  return writer.finish();
}

export function joinParams(overrides: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'group-a',
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['topic-a']) }],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    ...overrides,
  };
}
