/**
 * Entry point of one broker in its own OS process (startProcessCluster, `kafkaesque up
 * --processes`): argv[2] is the broker's settings as JSON (Kafka names, zookeeper.connect
 * included). Prints `broker <id> listening <host>:<port> pid=<pid>` once serving; SIGTERM /
 * SIGINT stop it with a controlled shutdown (exit 0). The parent drives link faults over the
 * IPC channel: {op: 'cut' | 'heal' | 'slow', a, b, delayMs?}.
 */
import { BrokerConfig } from '../config/broker-config.ts';
import { ClusterNode } from './cluster-node.ts';
import { LinkTable } from './links.ts';

interface LinkMessage {
  op: 'cut' | 'heal' | 'slow';
  a: number;
  b: number;
  delayMs?: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const links = new LinkTable();
const node = await ClusterNode.start({ config: new BrokerConfig(settings), links });
process.stdout.write(`broker ${node.id} listening ${node.broker.host}:${node.broker.port} pid=${process.pid}\n`);

process.on('message', (message: LinkMessage) => {
  if (message.op === 'cut') links.cut(message.a, message.b);
  else if (message.op === 'heal') links.heal(message.a, message.b);
  else if (message.op === 'slow') links.slow(message.a, message.b, message.delayMs ?? 0);
  process.send?.({ done: message });
});

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  node.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`broker ${node.id}: shutdown failed: ${(error as Error)?.stack ?? error}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
