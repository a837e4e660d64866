// The Java client (kafka-clients 3.9.x and 4.x from Maven Central): producer, consumer with the
// classic and the KIP-848 consumer group protocols, and Admin. install.sh compiles
// src/CompatClient.java against each kafka-clients version into .cache/java-classes/<set>.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { defineClientSuite } from '../../support/client-suite.ts';
import { javaClassesDir } from '../../support/paths.ts';
import { MissingProgramError, mavenClasspath, requireProgram, runProgram } from '../../support/programs.ts';
import type { RealKafkaVersion } from '../../support/real-kafka.ts';

const features = [
  'admin.createTopics', 'admin.describeTopics', 'admin.describeConfigs', 'admin.alterConfigs', 'admin.deleteTopics',
  'produce.none', 'produce.gzip', 'produce.snappy', 'produce.lz4', 'produce.zstd', 'produce.idempotent',
  'consume.group', 'commit', 'rebalance',
] as const;

const suites: { suite: string; set: string; groupProtocol: 'classic' | 'consumer'; realKafka: RealKafkaVersion[] }[] = [
  { suite: 'kafka-clients-3.9', set: 'kafka-clients-3.9', groupProtocol: 'classic', realKafka: ['3.9'] },
  { suite: 'kafka-clients-4.1', set: 'kafka-clients-4.1', groupProtocol: 'classic', realKafka: ['3.9'] },
  // KIP-848 is generally available from Kafka 4.0: prove the script on the 4.1 broker.
  { suite: 'kafka-clients-4.1-consumer-protocol', set: 'kafka-clients-4.1', groupProtocol: 'consumer', realKafka: ['4.1'] },
];

for (const spec of suites) {
  defineClientSuite({
    suite: spec.suite,
    expected: features,
    realKafka: spec.realKafka,
    run: (bootstrap, prefix) => {
      const classes = join(javaClassesDir, spec.set);
      if (!existsSync(join(classes, 'CompatClient.class'))) throw new MissingProgramError(`CompatClient for ${spec.set}`, 'javac by install.sh');
      const java = requireProgram('java');
      return runProgram(java, ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-cp', `${classes}${delimiter}${mavenClasspath(spec.set)}`, 'CompatClient', bootstrap, prefix, spec.groupProtocol]);
    },
  });
}
