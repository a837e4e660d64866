/**
 * `kafkaesque coordinator [--nodes 3] [--port 2181] [--host 127.0.0.1] [--data-dir DIR]
 * [--processes] [--no-force-sync] [--tick-time-ms 2000]`: runs the coordinator ensemble alone.
 * Prints `coordinator <id> listening <host>:<port> pid=<pid>` per member, then
 * `ready connect=<host:port,...>`; SIGINT/SIGTERM shut down cleanly (exit 0).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCoordinator } from './coordinator.ts';

export async function runCoordinatorCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '1' },
      port: { type: 'string', default: '2181' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: './.kafkaesque/coordinator' },
      processes: { type: 'boolean', default: false },
      'no-force-sync': { type: 'boolean', default: false },
      'tick-time-ms': { type: 'string', default: '2000' },
    },
    allowPositionals: true,
  });
  const nodes = Number(values.nodes);
  if (![1, 3, 5].includes(nodes)) throw new Error(`--nodes must be 1, 3 or 5 (got ${values.nodes})`);
  const handle = await startCoordinator({
    nodes,
    host: values.host,
    port: Number(values.port),
    dataDir: values['data-dir'],
    processes: values.processes,
    forceSync: !values['no-force-sync'],
    tickTimeMs: Number(values['tick-time-ms']),
  });
  for (const member of handle.members) {
    process.stdout.write(`coordinator ${member.id} listening ${member.host}:${member.port} pid=${member.pid}\n`);
  }
  process.stdout.write(`ready connect=${handle.connectString}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await handle.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === 'coordinator') args.shift();
  runCoordinatorCommand(args).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
