/**
 * One broker: its config, log manager, partitions, request handlers and TCP listener, wired
 * together. `Broker.start()` returns once the listener accepts requests and the broker is
 * registered in the metadata store; `close()` stops accepting, finishes in-flight requests,
 * stops plugins and closes the logs (clean shutdown).
 */
import { BrokerConfig } from './config/broker-config.ts';
import { logConfigFor } from './config/log-config.ts';
import { createDispatcher } from './handlers/dispatcher.ts';
import { loadHandlers } from './handlers/load.ts';
import { FetchSessionCache } from './fetch/sessions.ts';
import { ProducerIdManager } from './producer/producer-ids.ts';
import type { BrokerPlugin, BrokerPluginFactory, BrokerServices, HandlerRegistry } from './handlers/types.ts';
import type { LogManager } from './log/api.ts';
import { openLogManager } from './log/index.ts';
import type { MetadataStore } from './metadata/store.ts';
import { KafkaServer } from './network/server.ts';
import { ReplicaManager, type ReplicaManagerOptions } from './replica/replica-manager.ts';

export interface BrokerOptions {
  config: BrokerConfig;
  metadata: MetadataStore;
  /** Extra plugins; the groups plugin (packages/broker/src/groups/plugin.ts) is loaded when present. */
  plugins?: BrokerPluginFactory[];
  /** Where the broker reports problems; default: stderr. */
  log?: (message: string) => void;
  /** Grace period for in-flight requests on close. */
  shutdownTimeoutMs?: number;
  /** Followers, ISR and acks=all (the coordinator-backed cluster, ./cluster/); absent: one replica. */
  replication?: ReplicaManagerOptions['replication'];
}

/** Plugins other areas provide, loaded when their file exists. */
const OPTIONAL_PLUGIN_MODULES = ['./groups/plugin.ts'];

async function loadOptionalPlugins(): Promise<BrokerPluginFactory[]> {
  const factories: BrokerPluginFactory[] = [];
  for (const relative of OPTIONAL_PLUGIN_MODULES) {
    const url = new URL(relative, import.meta.url);
    let module: { createPlugin?: BrokerPluginFactory };
    try {
      module = (await import(url.href)) as { createPlugin?: BrokerPluginFactory };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('plugin.ts')) continue;
      throw error;
    }
    if (module.createPlugin !== undefined) factories.push(module.createPlugin);
  }
  return factories;
}

export class Broker {
  readonly id: number;
  readonly config: BrokerConfig;
  readonly metadata: MetadataStore;
  readonly logs: LogManager;
  readonly replicas: ReplicaManager;
  readonly services: BrokerServices;
  readonly host: string;
  readonly port: number;
  private readonly server: KafkaServer;
  private readonly plugins: BrokerPlugin[];
  private closing: Promise<void> | null = null;
  private readonly state: { shuttingDown: boolean };

  private constructor(parts: {
    config: BrokerConfig;
    metadata: MetadataStore;
    logs: LogManager;
    replicas: ReplicaManager;
    services: BrokerServices;
    server: KafkaServer;
    plugins: BrokerPlugin[];
    host: string;
    port: number;
    state: { shuttingDown: boolean };
  }) {
    this.id = parts.config.brokerId;
    this.config = parts.config;
    this.metadata = parts.metadata;
    this.logs = parts.logs;
    this.replicas = parts.replicas;
    this.services = parts.services;
    this.server = parts.server;
    this.plugins = parts.plugins;
    this.host = parts.host;
    this.port = parts.port;
    this.state = parts.state;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const { config, metadata } = options;
    const report = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
    const brokerId = config.brokerId;
    config.setDynamic(metadata.brokerConfigs(null), metadata.brokerConfigs(brokerId));
    const logs = await openLogManager({
      logDirs: config.logDirs,
      brokerId,
      clusterId: metadata.clusterId,
      defaultConfig: logConfigFor(config, {}),
    });
    const handlers: HandlerRegistry = await loadHandlers();
    const replicas = new ReplicaManager({
      brokerId,
      logs,
      metadata,
      logConfigFor: (overrides) => logConfigFor(config, overrides),
      replication: options.replication,
    });
    const state = { shuttingDown: false };
    const extensions = new Map<string, unknown>();
    const services: BrokerServices = {
      brokerId,
      config,
      metadata,
      logs,
      replicas,
      fetchSessions: new FetchSessionCache(),
      producerIds: new ProducerIdManager(metadata),
      handlers,
      extensions,
      now: () => Date.now(),
      get shuttingDown() {
        return state.shuttingDown;
      },
    };
    const plugins: BrokerPlugin[] = [];
    for (const factory of [...(await loadOptionalPlugins()), ...(options.plugins ?? [])]) {
      const plugin = await factory(services);
      extensions.set(plugin.name, plugin.service);
      plugins.push(plugin);
    }
    await replicas.start();
    metadata.subscribe((change) => {
      if (change.kind === 'broker-configs-changed') {
        config.setDynamic(metadata.brokerConfigs(null), metadata.brokerConfigs(brokerId));
      }
    });
    const listener = config.listeners[0];
    const server = new KafkaServer({
      host: listener.host === '' ? '0.0.0.0' : listener.host,
      port: listener.port,
      requestBytesMax: config.int('socket.request.max.bytes'),
      inflightRequestsMax: config.int('connection.inflight.requests.max'),
      idleTimeoutMs: config.int('connections.max.idle.ms'),
      connectionsMax: config.int('max.connections'),
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
      onConnectionError: (connection, error) => {
        const code = (error as { code?: unknown })?.code;
        const expected = code === 'REQUEST_REJECTED' || code === 'FRAME_TOO_LARGE' || code === 'FRAME_INVALID' || code === 'ECONNRESET' || code === 'EPIPE';
        if (!expected || process.env.KAFKAESQUE_DEBUG) {
          report(`broker ${brokerId}: closing connection ${connection.id} from ${connection.remoteAddress}:${connection.remotePort}: ${(error as Error)?.message ?? error}`);
        }
      },
      dispatch: createDispatcher(services, {
        onHandlerError: (context, error) =>
          report(`broker ${brokerId}: ${handlers.get(context.apiKey)?.name} v${context.apiVersion} failed: ${(error as Error)?.stack ?? error}`),
      }),
    });
    const bound = await server.listen();
    const advertised = config.advertisedListeners[0];
    const host = advertised.host === '' || advertised.host === '0.0.0.0' ? '127.0.0.1' : advertised.host;
    const port = advertised.port === 0 || config.get('advertised.listeners') === null ? bound.port : advertised.port;
    for (const plugin of plugins) await plugin.start?.();
    await metadata.registerBroker({ id: brokerId, host, port, rack: config.rack });
    await replicas.settled();
    return new Broker({ config, metadata, logs, replicas, services, server, plugins, host, port, state });
  }

  /** Graceful: stop accepting, answer what was read, stop plugins, close logs cleanly. */
  close(): Promise<void> {
    this.closing ??= this.shutdown(false);
    return this.closing;
  }

  /** Like a crash for clients: connections are cut at once, in-flight requests get no answer. */
  abort(): Promise<void> {
    this.closing ??= this.shutdown(true);
    return this.closing;
  }

  private async shutdown(crash: boolean): Promise<void> {
    this.state.shuttingDown = true;
    await this.metadata.unregisterBroker(this.id);
    this.replicas.wakeAll();
    if (crash) {
      await this.server.abort();
    } else {
      await this.server.close();
    }
    for (const plugin of [...this.plugins].reverse()) await plugin.stop?.();
    await this.replicas.stop();
    // Even a simulated crash closes the files: the process lives on and may reopen the dirs.
    await this.logs.close();
  }
}
