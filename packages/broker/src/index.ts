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
