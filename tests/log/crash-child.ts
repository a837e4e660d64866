/**
 * Child process of the crash test: appends batches as fast as it can to one partition (small
 * segments so it rolls often), flushes and checkpoints every FLUSH_EVERY appends and reports
 * `flushed <logEndOffset>` on stdout after each flush. Record values are their own offsets, so
 * the parent can check that what survives is an exact prefix. Killed with SIGKILL by the parent.
 */
import { encodeRecordBatch } from '@kafkaesque/protocol';
import { openLogManager } from '../../packages/broker/src/log/index.ts';

const FLUSH_EVERY = 40;
const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-child.ts <log dir>');

const manager = await openLogManager({
  logDirs: [dir],
  brokerId: 1,
  backgroundTasks: false,
  defaultConfig: { segmentBytes: 64 * 1024, indexIntervalBytes: 512, fileDeleteDelayMs: 0 },
});
const log = await manager.getOrCreateLog({ topic: 'crash', partition: 0 });
let next = log.logEndOffset;
process.stdout.write(`ready ${next}\n`);
for (let appendCount = 1; ; appendCount++) {
  const count = 1 + (appendCount % 7);
  const records = Array.from({ length: count }, (_, index) => ({ key: null, value: String(next + index).padEnd(40 + (appendCount % 90), '.'), timestamp: Date.now() }));
  const result = await log.appendAsLeader(encodeRecordBatch({ records }), { leaderEpoch: 0 });
  if (!result.ok || result.firstOffset !== next) throw new Error(`append failed: ${JSON.stringify(result)}`);
  next += count;
  if (appendCount % FLUSH_EVERY === 0) {
    await log.flush();
    await manager.checkpoint();
    process.stdout.write(`flushed ${log.logEndOffset}\n`);
  }
}
