import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Harness } from './support.ts';

const harness = new Harness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

it('examples/seed-tutorial.ts runs against kafkaesque', async () => {
  const example = fileURLToPath(new URL('../../../examples/seed-tutorial.ts', import.meta.url));
  // the broker lives in this process, so the example must run asynchronously beside it
  const { stdout } = await promisify(execFile)(process.execPath, [example], {
    env: { ...process.env, BOOTSTRAP: harness.cluster.bootstrap },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(stdout).toContain('created topic bankbranch');
  expect(stdout).toMatch(/retention\.ms = \d+/);
  expect(stdout).toContain('produced 2 transactions');
  expect(stdout).toContain('{"atmid":1,"transid":100}');
  expect(stdout).toContain('{"atmid":2,"transid":101}');
  const [description] = await harness.admin().describeTopics(['bankbranch']);
  expect(description.partitions).toHaveLength(2);
});
