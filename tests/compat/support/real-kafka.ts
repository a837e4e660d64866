// Real Apache Kafka on loopback, as a test fixture: the broker jars from Maven Central (resolved
// by install.sh), one JVM in KRaft combined mode (broker + controller, node.id=1), a generated
// server.properties, storage formatted with Kafka's own StorageTool, logs in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.ts';
import { probeApiVersions } from './kafka-probe.ts';
import { mavenClasspath, requireProgram, runProgram } from './programs.ts';

/** Broker versions the lab installs; 3.9 still serves the old API versions kafka-python 2.0.2
 *  needs, 4.1 has the KIP-848 consumer group protocol generally available. */
export const realKafkaVersions = { '3.9': 'kafka-3.9', '4.1': 'kafka-4.1' } as const;
export type RealKafkaVersion = keyof typeof realKafkaVersions;

export interface RealKafkaOptions {
  version?: RealKafkaVersion;
  /** Extra server.properties lines, e.g. { 'auto.create.topics.enable': 'false' }. */
  config?: Record<string, string>;
  /** How long the JVM may take to serve requests (2 cores shared by many: be generous). */
  startTimeoutMs?: number;
  /** Keep the temp dir (logs, data) after close, for debugging. */
  keepDir?: boolean;
  /** The cluster id to format the storage with (default: 16 random bytes, base64url, as Kafka's). */
  clusterId?: string;
}

export interface RealKafka {
  bootstrap: string;
  host: string;
  port: number;
  version: RealKafkaVersion;
  clusterId: string;
  dir: string;
  /** The broker's log so far (server.log), for assertions and failure messages. */
  log(): string;
  close(): Promise<void>;
}

const heapOptions = ['-Xms128m', '-Xmx640m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
const stopTimeoutMs = 20_000;
const probeIntervalMs = 250;

/** Starts the JVM ("$@"), stops it with SIGTERM when stdin reaches EOF, exits with it. */
// (fd 3 keeps the pipe: bash gives background jobs /dev/null as stdin.)
const watchdogScript = 'exec 3<&0; "$@" </dev/null & jvm=$!; { cat <&3 >/dev/null; kill -TERM "$jvm" 2>/dev/null; } & exec 3<&-; wait "$jvm"';

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

function kafkaClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function serverProperties(dir: string, port: number, controllerPort: number, extra: Record<string, string>): string {
  const settings: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    'listeners': `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': '1',
    'default.replication.factor': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '3',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'true',
    'delete.topic.enable': 'true',
    'num.network.threads': '2',
    'num.io.threads': '2',
    'log.flush.interval.messages': '9223372036854775807',
    ...extra,
  };
  return Object.entries(settings).map(([key, value]) => `${key}=${value}`).join('\n') + '\n';
}

function loggingArgs(dir: string, version: RealKafkaVersion): string[] {
  const logFile = join(dir, 'server.log');
  if (version === '3.9') {
    const config = join(dir, 'log4j.properties');
    writeFileSync(config, [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${logFile}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      '',
    ].join('\n'));
    return [`-Dlog4j.configuration=file:${config}`];
  }
  const config = join(dir, 'log4j2.properties');
  writeFileSync(config, [
    'appender.file.type=File',
    'appender.file.name=file',
    `appender.file.fileName=${logFile}`,
    'appender.file.layout.type=PatternLayout',
    'appender.file.layout.pattern=[%d] %p %m (%c)%n',
    'rootLogger.level=INFO',
    'rootLogger.appenderRef.file.ref=file',
    '',
  ].join('\n'));
  return [`-Dlog4j2.configurationFile=${config}`];
}

/** Starts one real Kafka broker+controller on 127.0.0.1 and waits until it answers requests. */
export async function startRealKafka(options: RealKafkaOptions = {}): Promise<RealKafka> {
  const version = options.version ?? '3.9';
  const java = requireProgram('java', 'Debian default-jre-headless / openjdk-17');
  const classpath = mavenClasspath(realKafkaVersions[version]);
  const dir = mkdtempSync(join(tmpdir(), `kafkaesque-real-kafka-${version}-`));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const clusterId = options.clusterId ?? kafkaClusterId();
  const propertiesFile = join(dir, 'server.properties');
  writeFileSync(propertiesFile, serverProperties(dir, port, controllerPort, options.config ?? {}));
  const jvmArgs = [...heapOptions, '-Djava.awt.headless=true', ...loggingArgs(dir, version), '-cp', classpath];
  const removeDir = () => { if (!options.keepDir) rmSync(dir, { recursive: true, force: true }); };

  // `--cluster-id=<id>` in one argument: a base64url id may start with '-', which the tool's
  // argument parser would take for an option if the id came as a separate argument.
  const format = await runProgram(java, [...jvmArgs, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propertiesFile],
    { timeoutMs: 120_000 });
  if (format.code !== 0) {
    removeDir();
    throw new Error(`kafka ${version} storage format failed (exit ${format.code}):\n${format.stdout}\n${format.stderr}`);
  }

  const output = createWriteStream(join(dir, 'stdout.log'));
  // The JVM runs under a bash watchdog that holds our end of a pipe: when this process ends in
  // any way (even SIGKILL of a test worker) the pipe closes and the watchdog stops the JVM, so a
  // broker can never outlive its test. The group (detached) lets close() hard-kill everything.
  const child: ChildProcess = spawn('bash', ['-c', watchdogScript, 'kafka-watchdog', java, ...jvmArgs, 'kafka.Kafka', propertiesFile],
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdout?.pipe(output);
  child.stderr?.pipe(output);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => { exited = true; resolve(); }));
  const log = () => {
    const read = (name: string) => { try { return readFileSync(join(dir, name), 'utf8'); } catch { return ''; } };
    return read('server.log') + read('stdout.log');
  };
  const close = async () => {
    if (!exited) {
      child.stdin?.end(); // the watchdog sends SIGTERM: Kafka's controlled shutdown
      const timer = setTimeout(() => killGroup(child), stopTimeoutMs);
      await exit;
      clearTimeout(timer);
    }
    killGroup(child); // the watchdog's leftover reader, if any
    output.end();
    removeDir();
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  for (;;) {
    if (exited) {
      const text = log();
      await close();
      throw new Error(`kafka ${version} exited during startup:\n${text.slice(-6000)}`);
    }
    if (Date.now() > deadline) {
      const text = log();
      await close();
      throw new Error(`kafka ${version} did not become ready in time:\n${text.slice(-6000)}`);
    }
    // The listener accepts before the broker is unfenced; "Kafka Server started" marks the end.
    if (log().includes('Kafka Server started')) {
      try {
        if (await probeApiVersions('127.0.0.1', port, 2_000) === 0) break;
      } catch { /* not yet */ }
    }
    await sleep(probeIntervalMs);
  }
  return { bootstrap: `127.0.0.1:${port}`, host: '127.0.0.1', port, version, clusterId, dir, log, close };
}
