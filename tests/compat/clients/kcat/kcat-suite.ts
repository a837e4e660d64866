// kcat (librdkafka's CLI, Debian) run. Usage: node kcat-suite.ts <bootstrap> <prefix>
// kcat has no admin API: topics are auto-created by producing, and only metadata (-L) is checked.
import { spawn, spawnSync } from 'node:child_process';
import { codecNames, payload, Report, stepTimeoutMs, verifyConsumed, waitFor } from '../node/report.ts';

const [bootstrap, prefix] = process.argv.slice(2);
if (bootstrap === undefined || prefix === undefined) throw new Error('usage: kcat-suite.ts <bootstrap> <prefix>');
const versionText = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout ?? '';
const versionMatch = /Version (\S+).*librdkafka (\S+)/.exec(versionText);
const kcatVersion = versionMatch ? `${versionMatch[1]} (librdkafka ${versionMatch[2]})` : 'unknown';
const report = new Report('kcat', kcatVersion);
const common = ['-b', bootstrap, '-X', 'broker.address.family=v4'];
/** Output bytes kept from one kcat run. */
const outputBytesMax = 4 * 1024 * 1024;

function kcat(args: string[], input = ''): { stdout: string; stderr: string } {
  const run = spawnSync('kcat', [...common, ...args], { input, encoding: 'utf8', timeout: stepTimeoutMs, maxBuffer: outputBytesMax });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`kcat ${args.join(' ')} exited ${run.status}: ${run.stderr.slice(-2000)}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

function partitionCount(topic: string): number {
  const metadata = JSON.parse(kcat(['-L', '-J', '-t', topic]).stdout) as { topics: { topic: string; partitions: unknown[]; error?: string }[] };
  const entry = metadata.topics.find((t) => t.topic === topic);
  return entry === undefined || entry.error !== undefined ? 0 : entry.partitions.length;
}

function consumeGroup(topic: string, group: string): string[] {
  const output = kcat(['-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-f', '%s\\n', '-q', topic]).stdout;
  return output.split('\n').filter((line) => line !== '');
}

async function rebalance(): Promise<unknown> {
  const topic = `${prefix}-rebalance`;
  // kcat cannot create a two-partition topic, so the group subscribes by regex to two
  // auto-created one-partition topics; round robin spreads them over the two members.
  kcat(['-P', '-t', `${topic}-0`], 'x\n');
  kcat(['-P', '-t', `${topic}-1`], 'x\n');
  const group = `${prefix}-g2`;
  const owned: Record<string, string> = {};
  const members = ['a', 'b'].map((name) => ({ name, child: undefined as ReturnType<typeof spawn> | undefined }));
  const start = (index: number) => {
    const member = members[index]!;
    const child = spawn('kcat', [...common, '-G', group, '-X', 'topic.metadata.refresh.interval.ms=1000',
      '-X', 'partition.assignment.strategy=roundrobin', `^${topic}-.*`],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    member.child = child;
    let buffer = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer = (buffer + chunk).slice(-64 * 1024);
      for (const line of buffer.split('\n')) {
        const match = /rebalanced.*assigned: (.*)$/.exec(line);
        if (match) owned[member.name] = match[1]!;
        if (/rebalanced.*revoked/.test(line)) owned[member.name] = '';
      }
    });
  };
  const count = (name: string) => (owned[name] ?? '').split(',').filter((p) => p.trim() !== '').length;
  try {
    start(0);
    await waitFor(() => count('a') === 2, `first member never owned both partitions: ${JSON.stringify(owned)}`);
    start(1);
    await waitFor(() => count('a') === 1 && count('b') === 1, `partitions not split: ${JSON.stringify(owned)}`, 2 * stepTimeoutMs);
    return { ...owned };
  } finally {
    for (const member of members) member.child?.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  report.unsupported('admin.createTopics', 'kcat has no admin API (topics are auto-created by producing)');
  report.unsupported('admin.describeConfigs', 'kcat has no admin API');
  report.unsupported('admin.alterConfigs', 'kcat has no admin API');
  report.unsupported('admin.deleteTopics', 'kcat has no admin API');
  const topic = `${prefix}-codecs`;
  const expected = new Map<string, string>();
  for (const codec of codecNames) {
    await report.attempt(`produce.${codec}`, async () => {
      const values = Array.from({ length: 5 }, (_, i) => payload(codec, i));
      kcat(['-P', '-t', topic, '-z', codec, '-X', 'enable.idempotence=false', '-X', 'acks=all'], values.join('\n') + '\n');
      for (const value of values) expected.set(value, `produce.${codec}`);
    });
  }
  await report.attempt('produce.idempotent', async () => {
    const values = Array.from({ length: 5 }, (_, i) => payload('idempotent', i));
    kcat(['-P', '-t', topic, '-X', 'enable.idempotence=true'], values.join('\n') + '\n');
    for (const value of values) expected.set(value, 'produce.idempotent');
  });
  await report.attempt('admin.describeTopics', async () => {
    const count = partitionCount(topic);
    if (count !== 1) throw new Error(`${count} partitions`);
    return 'metadata (-L -J) of an auto-created topic';
  });
  const group = `${prefix}-g1`;
  let consumed: string[] = [];
  await report.attempt('consume.group', async () => {
    consumed = consumeGroup(topic, group);
    const missing = verifyConsumed(report, expected, new Set(consumed));
    if (Object.keys(missing).length > 0) throw new Error(`missing records: ${JSON.stringify(missing)}`);
    return { records: consumed.length };
  });
  await report.attempt('commit', async () => {
    if (consumed.length === 0) throw new Error('nothing consumed');
    const again = consumeGroup(topic, group);
    if (again.length !== 0) throw new Error(`the group's committed offsets were not used: ${again.length} records again`);
    return 'a second run of the group resumed at the committed end';
  });
  await report.attempt('rebalance', rebalance);
}

try {
  await main();
} catch (error) {
  report.check('run', error);
}
report.print();
process.exit(0);
