// What the differential comparison leaves out (values that legitimately differ between any two
// brokers) and the differences we accept between real Kafka and kafkaesque, each with its reason.
// `ignored` is proven by the real-Kafka-vs-real-Kafka run: two Kafka brokers differ in exactly
// these fields. `explained` (design decisions) and `knownGaps` (not implemented yet, with their
// issue) are listed separately in tests/compat/README.md; any other difference fails its step.
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
  ...missingApis([55, 64, 80, 81],
    'KRaft quorum/controller APIs (DescribeQuorum, UnregisterBroker, Add/RemoveRaftVoter): kafkaesque runs on a ZooKeeper-style coordinator, as Kafka in ZooKeeper mode it does not offer them'),
];

/** One ApiVersions rule per API key Kafka advertises and kafkaesque does not. */
function missingApis(apiKeys: readonly number[], reason: string): Rule[] {
  return apiKeys.map((apiKey) => ({ step: 'ApiVersions v3', path: `apiKeys[apiKey=${apiKey}]`, reason }));
}

// Real gaps, not design decisions: features kafkaesque does not have yet, each naming the open
// issue that will close it. kafkaesque does not advertise an API it does not implement, so a
// missing API is one `apiKeys[apiKey=N]` difference. Remove an entry when its issue lands (a
// fixed gap no longer matches anything; a regression elsewhere still fails its step).
export const knownGaps: readonly Rule[] = [
  ...missingApis([24, 25, 26, 27, 28, 65, 66],
    'issue "transactions": transactional producer APIs (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, WriteTxnMarkers, TxnOffsetCommit, DescribeTransactions, ListTransactions) not implemented yet'),
  ...missingApis([29, 30, 31], 'issue "ACLs / authorization": DescribeAcls, CreateAcls, DeleteAcls not implemented yet'),
  ...missingApis([36], 'issue "SASL authentication": SaslAuthenticate not implemented yet'),
  ...missingApis([38, 39, 40, 41], 'issue "delegation tokens": Create/Renew/Expire/DescribeDelegationToken not implemented yet'),
  ...missingApis([48, 49], 'issue "client quotas": DescribeClientQuotas, AlterClientQuotas not implemented yet'),
  ...missingApis([50, 51], 'issue "SCRAM credentials": Describe/AlterUserScramCredentials not implemented yet'),
  ...missingApis([34], 'issue "log dir admin": AlterReplicaLogDirs (moving replicas between log dirs) not implemented yet'),
  ...missingApis([57], 'issue "feature admin": UpdateFeatures not implemented yet'),
  ...missingApis([74], 'issue "client metrics (KIP-714)": ListClientMetricsResources not implemented yet'),
  ...missingApis([75], 'issue "DescribeTopicPartitions (KIP-966)": paginated topic description not implemented yet (Metadata serves it)'),
];
