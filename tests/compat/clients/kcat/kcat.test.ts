// kcat 1.7.1 (librdkafka 2.0.2) from Debian, driven by kcat-suite.ts. kcat has no admin API: those
// features are reported as n/a, never as passes.
import { fileURLToPath } from 'node:url';
import { defineClientSuite } from '../../support/client-suite.ts';
import { requireProgram, runProgram } from '../../support/programs.ts';

defineClientSuite({
  suite: 'kcat',
  expected: ['produce.none', 'produce.gzip', 'produce.snappy', 'produce.lz4', 'produce.zstd', 'produce.idempotent',
    'admin.describeTopics', 'consume.group', 'commit', 'rebalance'],
  run: (bootstrap, prefix) => {
    requireProgram('kcat', 'Debian package kcat');
    return runProgram(process.execPath, [fileURLToPath(new URL('kcat-suite.ts', import.meta.url)), bootstrap, prefix]);
  },
});
