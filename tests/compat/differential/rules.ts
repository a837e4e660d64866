// What the differential comparison leaves out (values that legitimately differ between any two
// brokers) and the differences we accept between real Kafka and kafkaesque, each with its reason.
// `ignored` is proven by the real-Kafka-vs-real-Kafka run: two Kafka brokers differ in exactly
// these fields. `explained` is listed in tests/compat/README.md.
import type { Rule } from './diff.ts';

export const ignored: readonly Rule[] = [
  { step: '*', path: '**.throttleTimeMs', reason: 'throttling depends on load' },
  { step: '*', path: '**.errorMessage', reason: 'free text; the error code is compared' },
  { step: '*', path: '**.clusterId', reason: 'random per cluster' },
  { step: '*', path: '**.topicId', reason: 'random per topic' },
  { step: '*', path: '**.port', reason: 'ephemeral ports' },
  { step: '*', path: '**.host', reason: 'host names of the listeners' },
  { step: 'ApiVersions v3', path: 'finalizedFeaturesEpoch', reason: 'metadata log offset of the feature records' },
];

// Only design decisions belong here, not bugs: a broker difference that is not deliberate must
// stay unexplained (and fail) until the broker matches Kafka or documents why it does not.
export const explained: readonly Rule[] = [
  { step: 'ApiVersions v3', path: 'supportedFeatures[name=metadata.version]',
    reason: 'kafkaesque runs on a ZooKeeper-style coordinator, not KRaft: it has no metadata.version feature' },
  { step: 'ApiVersions v3', path: 'finalizedFeatures[name=metadata.version]',
    reason: 'kafkaesque runs on a ZooKeeper-style coordinator, not KRaft: it has no metadata.version feature' },
  { step: 'ApiVersions v3', path: 'apiKeys[apiKey=2].maxVersion',
    reason: 'kafkaesque implements the late-2024 specs (ListOffsets v10), newer than the Kafka 3.9 reference (v9)' },
  { step: 'ApiVersions v3', path: 'apiKeys[apiKey=68].maxVersion',
    reason: 'kafkaesque implements the late-2024 specs (ConsumerGroupHeartbeat v1), newer than Kafka 3.9 (v0)' },
  { step: '*', path: 'topics[*].configs[name=message.format.version]',
    reason: 'topic config removed in Kafka 4.0; kafkaesque follows the 4.0 set of topic configs' },
  { step: '*', path: 'topics[*].configs[name=message.timestamp.difference.max.ms]',
    reason: 'topic config removed in Kafka 4.0; kafkaesque follows the 4.0 set of topic configs' },
];
