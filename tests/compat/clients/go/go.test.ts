// franz-go and Sarama, built by install.sh from tests/compat/clients/go (Go module proxy).
import { join } from 'node:path';
import { defineClientSuite } from '../../support/client-suite.ts';
import { goBinDir } from '../../support/paths.ts';
import { requireProgram, runProgram } from '../../support/programs.ts';

const allFeatures = [
  'admin.createTopics', 'admin.describeTopics', 'admin.describeConfigs', 'admin.alterConfigs', 'admin.deleteTopics',
  'produce.none', 'produce.gzip', 'produce.snappy', 'produce.lz4', 'produce.zstd', 'produce.idempotent',
  'consume.group', 'commit', 'rebalance',
] as const;

for (const program of ['franz', 'sarama'] as const) {
  defineClientSuite({
    suite: program === 'franz' ? 'franz-go' : 'sarama',
    expected: allFeatures,
    run: (bootstrap, prefix) =>
      runProgram(requireProgram(join(goBinDir, program), 'go build by tests/compat/install.sh'), [bootstrap, prefix]),
  });
}
