// Where the compatibility lab keeps what install.sh puts on the machine. Everything under
// `.cache/` is git-ignored and rebuilt by tests/compat/install.sh.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const compatDir = fileURLToPath(new URL('..', import.meta.url));
export const repoDir = join(compatDir, '..', '..');
export const cacheDir = join(compatDir, '.cache');
export const mavenDir = join(cacheDir, 'maven');
export const goBinDir = join(cacheDir, 'go', 'bin');
export const javaClassesDir = join(cacheDir, 'java-classes');
export const resultsFile = join(cacheDir, 'results.json');

/** Python environments: `debian` is the system interpreter with Debian's python3-kafka and
 *  python3-confluent-kafka; the others are isolated venvs holding the latest PyPI release. */
export const pythonEnvs = {
  debian: '/usr/bin/python3',
  'kafka-python-pypi': join(cacheDir, 'venv-kafka-python', 'bin', 'python'),
  'confluent-kafka-pypi': join(cacheDir, 'venv-confluent-kafka', 'bin', 'python'),
} as const;
export type PythonEnv = keyof typeof pythonEnvs;
