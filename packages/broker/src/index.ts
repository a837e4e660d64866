export {};
export * from './log/index.ts';
// broker core (network, handlers, config, metadata, fixture, CLI)
export { startCluster } from './fixture.ts';
export type { Cluster, ClusterBroker, StartClusterOptions } from './fixture.ts';
export { Broker } from './broker.ts';
export type { BrokerOptions } from './broker.ts';
export { BrokerConfig, BROKER_CONFIGS, parseProperties, parseListeners } from './config/broker-config.ts';
export { TOPIC_CONFIGS } from './config/topic-config.ts';
export { ConfigSource, ConfigType, ConfigResourceType } from './config/config-types.ts';
export { LocalMetadataStore } from './metadata/local-store.ts';
export type { MetadataStore, MetadataChange, TopicState, PartitionState, BrokerRegistration, NewTopic } from './metadata/store.ts';
export { MetadataError } from './metadata/store.ts';
export { KafkaServer } from './network/server.ts';
export { HandlerRegistry, defineHandler } from './handlers/types.ts';
export type { ApiHandler, BrokerServices, RequestContext, BrokerPlugin, BrokerPluginFactory } from './handlers/types.ts';
export { ReplicaManager, Partition } from './replica/replica-manager.ts';
// group coordinator (issue 7): transport-free coordinator, its plugin accessor, config and record codecs
export { GroupCoordinator } from './groups/coordinator.ts';
export type { GroupCoordinatorOptions, OffsetsPartitionSource } from './groups/coordinator.ts';
export { groupService, groupConfigFromBroker } from './groups/plugin.ts';
export { DEFAULT_GROUP_CONFIG, DEV_GROUP_CONFIG_OVERRIDES, groupConfig } from './groups/config.ts';
export type { GroupCoordinatorConfig } from './groups/config.ts';
export { partitionForKey, javaStringHashCode, CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './groups/partitioning.ts';
export { decodeCoordinatorRecord } from './groups/records.ts';
export type { CoordinatorRecord } from './groups/records.ts';
export { createLogStore, MemoryOffsetsStore } from './groups/store.ts';
export type { OffsetsPartitionStore } from './groups/store.ts';
export { ManualScheduler, systemScheduler } from './groups/scheduler.ts';
export type { Scheduler } from './groups/scheduler.ts';
// the cluster (issue 6): coordinator-backed metadata, controller, replication, process mode
export { startCoordinatedCluster } from './cluster/coordinated-cluster.ts';
export type { CoordinatedCluster, CoordinatedClusterOptions } from './cluster/coordinated-cluster.ts';
export { startProcessCluster } from './cluster/process-cluster.ts';
export type { ProcessCluster, ProcessClusterOptions } from './cluster/process-cluster.ts';
export { ZkMetadataStore } from './cluster/zk-metadata-store.ts';
export { ClusterNode } from './cluster/cluster-node.ts';
export { LinkTable } from './cluster/links.ts';
