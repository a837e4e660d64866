/**
 * Settings where a dev or test cluster (`kafkaesque up`, `startCluster`) departs from Kafka's
 * defaults, in one place so the README's "Defaults that differ from Kafka" stays true. A config
 * file, `--override` or `startCluster({ config })` still wins over these.
 */
/** Kafka: 18000. Failover in a dev cluster should not wait 18 s for a dead broker's session. */
export const DEV_SESSION_TIMEOUT_MS = 3000;

export const DEV_CLUSTER_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  'zookeeper.session.timeout.ms': String(DEV_SESSION_TIMEOUT_MS),
  // Kafka: 3000. A lone consumer in a dev loop or a test should get its partitions at once.
  'group.initial.rebalance.delay.ms': '0',
  // Kafka: 50. Fifty partitions × 3 replicas is 150 logs to create before a 3-broker dev cluster
  // is ready (most of `kafkaesque up`'s start-up); five still spread group coordinators over
  // every broker. Kafka's own integration-test harness uses 5 too.
  'offsets.topic.num.partitions': '5',
});
