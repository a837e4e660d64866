// Python clients: kafka-python 2.0.2 and confluent-kafka 1.7.0 (librdkafka 2.0.2) from Debian,
// and the latest kafka-python and confluent-kafka from PyPI, each in its own venv (install.sh).
import { fileURLToPath } from 'node:url';
import { defineClientSuite } from '../../support/client-suite.ts';
import { runPython } from '../../support/programs.ts';
import type { PythonEnv } from '../../support/paths.ts';

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const features = [
  'admin.createTopics', 'admin.describeTopics', 'admin.describeConfigs', 'admin.alterConfigs', 'admin.deleteTopics',
  'produce.none', 'produce.gzip', 'produce.snappy', 'produce.lz4', 'produce.zstd', 'consume.group', 'commit', 'rebalance',
] as const;

const suites: { suite: string; venv: PythonEnv; module: string; script: string; idempotent: boolean }[] = [
  // kafka-python 2.0.2 has no idempotent producer (added in 2.1): reported as n/a, not a pass.
  { suite: 'kafka-python-debian', venv: 'debian', module: 'kafka', script: 'kafka_python_suite.py', idempotent: false },
  { suite: 'kafka-python-pypi', venv: 'kafka-python-pypi', module: 'kafka', script: 'kafka_python_suite.py', idempotent: true },
  { suite: 'confluent-kafka-debian', venv: 'debian', module: 'confluent_kafka', script: 'confluent_suite.py', idempotent: true },
  { suite: 'confluent-kafka-pypi', venv: 'confluent-kafka-pypi', module: 'confluent_kafka', script: 'confluent_suite.py', idempotent: true },
];

for (const spec of suites) {
  defineClientSuite({
    suite: spec.suite,
    expected: spec.idempotent ? [...features, 'produce.idempotent'] : features,
    run: (bootstrap, prefix) => runPython(script(spec.script), [bootstrap, prefix], { venv: spec.venv, module: spec.module }),
  });
}
