/** Runs a one-broker kafkaesque cluster in its own process for the client benchmark. */
import { startCluster } from '../../packages/broker/src/index.ts';

const cluster = await startCluster({ brokers: 1, config: { 'group.initial.rebalance.delay.ms': '0' } });
process.stdout.write(`ready ${cluster.bootstrap}\n`);
const stop = async () => {
  await cluster.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
