// Node clients: kafkajs 2.2.4 and @platformatic/kafka (tests/package.json), each run as its own
// Node process so a client's sockets and timers cannot leak into vitest's worker.
import { fileURLToPath } from 'node:url';
import { defineClientSuite } from '../../support/client-suite.ts';
import { runProgram } from '../../support/programs.ts';

const features = [
  'admin.createTopics', 'admin.describeTopics', 'admin.describeConfigs', 'admin.alterConfigs', 'admin.deleteTopics',
  'produce.none', 'produce.gzip', 'produce.snappy', 'produce.lz4', 'produce.zstd', 'produce.idempotent',
  'consume.group', 'commit', 'rebalance',
] as const;

for (const [suite, script] of [['kafkajs', 'kafkajs-suite.ts'], ['platformatic-kafka', 'platformatic-suite.ts']] as const) {
  defineClientSuite({
    suite,
    expected: features,
    run: (bootstrap, prefix) =>
      runProgram(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), bootstrap, prefix]),
  });
}
