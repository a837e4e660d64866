/**
 * The `kafkaesque` command (DESIGN.md "Contracts"):
 *
 *   kafkaesque up [--brokers N] [--port 9092] [--host 127.0.0.1] [--data-dir ./.kafkaesque]
 *                 [--config server.properties] [--override name=value]…
 *   kafkaesque coordinator …      (the coordinator ensemble alone)
 *   kafkaesque --help
 *
 * `up` prints `coordinator <id> listening <host>:<port> pid=<pid>` per embedded coordinator
 * member (clusters of more than one broker, or --coordinator embedded), then
 * `broker <id> listening <host>:<port> pid=<pid>` per broker once every broker serves requests,
 * then `ready bootstrap=<host:port,...>`; SIGINT / SIGTERM shut down gracefully and exit 0.
 * `--processes` runs each broker and coordinator member in its own OS process.
 */
import { enableCompileCache } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sendControlCommand, startControlServer, type ControllableCluster } from '../cluster/control.ts';
import { startupMark } from '../cluster/startup-trace.ts';

// Reuse compiled (and type-stripped) modules across runs: most of a cold start is compiling
// the protocol codecs, and `kafkaesque up` should be ready in well under a second.
const compileCache = enableCompileCache();
// `--processes` children (broker-main.ts, the coordinator's member-main.ts) load their modules
// before they could enable it themselves: hand them the same cache through the environment.
if (compileCache.directory !== undefined) process.env.NODE_COMPILE_CACHE ??= compileCache.directory;
// The fixture (and the whole broker) is imported only by `up`, so `--help` stays instant.

const HELP = `kafkaesque — a Kafka-compatible broker in TypeScript

Usage:
  kafkaesque up [options]            start a cluster (brokers and coordinator)
  kafkaesque coordinator [options]   start the coordinator ensemble alone
  kafkaesque fault [--data-dir DIR] <command>
                                     inject a fault into a running "up" (same data dir):
                                     kill|stop|restart|pause|resume <broker id>,
                                     cut|heal <a> <b>, slow <a> <b> <ms>, status
  kafkaesque --help

Options of "up":
  --brokers N           number of brokers, ids 1..N (default 3)
  --port P              first broker's port, the others follow (default 9092)
  --host H              listen and advertise on H (default 127.0.0.1)
  --data-dir DIR        data kept across restarts (default ./.kafkaesque)
  --config FILE         a server.properties file (Kafka's broker settings)
  --override NAME=VALUE a broker setting, repeatable (e.g. num.partitions=3)
  --processes           one OS process per broker and per coordinator member
  --coordinator SPEC    embedded (default with 2+ brokers) | local (one broker, metadata in a
                        file) | host:port,... of a ZooKeeper / coordinator ensemble
  --dashboard-port P    dashboard (not available yet)
`;

function parseOverrides(items: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`--override expects name=value, got ${item}`);
    values[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return values;
}

async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      brokers: { type: 'string', default: '3' },
      port: { type: 'string', default: '9092' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: './.kafkaesque' },
      config: { type: 'string' },
      override: { type: 'string', multiple: true, default: [] },
      processes: { type: 'boolean', default: false },
      coordinator: { type: 'string' },
      'dashboard-port': { type: 'string' },
    },
  });
  const brokers = Number(values.brokers);
  const port = Number(values.port);
  if (!Number.isInteger(brokers) || brokers < 1) throw new Error(`--brokers must be a positive integer, got ${values.brokers}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a TCP port, got ${values.port}`);
  if (values['dashboard-port'] !== undefined) process.stderr.write('kafkaesque: the dashboard is not available yet\n');
  const clusterOptions = {
    brokers,
    port,
    host: values.host,
    dataDir: values['data-dir'],
    configFile: values.config,
    config: parseOverrides(values.override),
    coordinator: values.coordinator,
    internalTopics: true,
  };
  let cluster: ControllableCluster & { bootstrap: string; close(): Promise<void> };
  let coordinatorMembers: Array<{ id: number; host: string; port: number; pid: number }> = [];
  let brokerLines: Array<{ id: number; host: string; port: number; pid: number }>;
  if (values.processes) {
    if (values.coordinator === 'local') throw new Error('--processes needs a coordinator (embedded or host:port,...)');
    const { startProcessCluster } = await import('../cluster/process-cluster.ts');
    const started = await startProcessCluster(clusterOptions);
    cluster = started;
    coordinatorMembers = started.coordinator?.members ?? [];
    brokerLines = started.brokers.map((broker) => ({ ...broker }));
  } else {
    const { startCluster } = await import('../fixture.ts');
    startupMark('modules loaded');
    const started = await startCluster(clusterOptions);
    cluster = started;
    const embedded = (started as { coordinator?: { members: typeof coordinatorMembers } | null }).coordinator;
    coordinatorMembers = embedded?.members ?? [];
    brokerLines = started.brokers.map((broker) => ({ id: broker.id, host: broker.host, port: broker.port, pid: process.pid }));
  }
  for (const member of coordinatorMembers) {
    process.stdout.write(`coordinator ${member.id} listening ${member.host}:${member.port} pid=${member.pid}\n`);
  }
  for (const broker of brokerLines) {
    process.stdout.write(`broker ${broker.id} listening ${broker.host}:${broker.port} pid=${broker.pid}\n`);
  }
  const control = await startControlServer(resolve(values['data-dir']), cluster);
  // The handlers go in before `ready` is printed: whoever reads that line may signal at once
  // (on a loaded machine before this process runs another statement), and must get a clean exit.
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      control.close().then(() => cluster.close()).then(resolve, (error: unknown) => {
        process.stderr.write(`kafkaesque: shutdown failed: ${(error as Error)?.stack ?? error}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  startupMark('ready');
  process.stdout.write(`ready bootstrap=${cluster.bootstrap}\n`);
  await stopped;
}

async function fault(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string', default: './.kafkaesque' } },
    allowPositionals: true,
  });
  const answer = await sendControlCommand(resolve(values['data-dir']), positionals);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  if (answer.ok !== true) process.exitCode = 1;
}

async function coordinator(argv: string[]): Promise<void> {
  let module: { runCoordinatorCommand?: (argv: string[]) => Promise<void> };
  try {
    module = (await import('@kafkaesque/coordinator')) as typeof module;
  } catch (error) {
    throw new Error(`the coordinator package could not be loaded: ${(error as Error).message}`);
  }
  if (module.runCoordinatorCommand === undefined) throw new Error('this build has no coordinator command yet');
  await module.runCoordinatorCommand(argv);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === 'up') await up(rest);
  else if (command === 'coordinator') await coordinator(rest);
  else if (command === 'fault') await fault(rest);
  else {
    process.stderr.write(`kafkaesque: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`kafkaesque: ${(error as Error)?.message ?? error}\n`);
      process.exit(1);
    },
  );
}
