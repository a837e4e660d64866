/**
 * ZooKeeper's four-letter words, the health checks tools send as the first 4 bytes of a
 * connection: ruok, stat, srvr, mntr (plus isro, conf, envi). All are enabled (ZooKeeper 3.8
 * enables only srvr unless 4lw.commands.whitelist says otherwise).
 */
export const FOUR_LETTER_WORDS = new Set(['ruok', 'stat', 'srvr', 'mntr', 'isro', 'conf', 'envi']);

export const ZOOKEEPER_COMPAT_VERSION = '3.8.0-kafkaesque';

export interface ServerStats {
  mode: 'standalone' | 'leader' | 'follower' | 'looking';
  zxid: number;
  nodeCount: number;
  watchCount: number;
  watchedPaths: number;
  ephemeralsCount: number;
  approximateDataBytes: number;
  outstandingRequests: number;
  packetsReceived: number;
  packetsSent: number;
  latencyMinMs: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
  connections: Array<{ remote: string; packetsReceived: number; packetsSent: number; sessionId: bigint }>;
  followers: number;
  syncedFollowers: number;
  config: Record<string, string | number>;
}

export function renderFourLetterWord(word: string, stats: ServerStats): string {
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'isro':
      return 'rw';
    case 'srvr':
      return srvr(stats);
    case 'stat':
      return stat(stats);
    case 'mntr':
      return mntr(stats);
    case 'conf':
      return Object.entries(stats.config).map(([key, value]) => `${key}=${value}\n`).join('');
    case 'envi':
      return `Environment:\nzookeeper.version=${ZOOKEEPER_COMPAT_VERSION}\nnode.version=${process.version}\nos.name=${process.platform}\n`;
    default:
      return '';
  }
}

function header(stats: ServerStats): string {
  return `Zookeeper version: ${ZOOKEEPER_COMPAT_VERSION}, built on kafkaesque\n`;
}

function counters(stats: ServerStats): string {
  return (
    `Latency min/avg/max: ${stats.latencyMinMs}/${stats.latencyAvgMs.toFixed(4)}/${stats.latencyMaxMs}\n` +
    `Received: ${stats.packetsReceived}\n` +
    `Sent: ${stats.packetsSent}\n` +
    `Connections: ${stats.connections.length}\n` +
    `Outstanding: ${stats.outstandingRequests}\n` +
    `Zxid: 0x${stats.zxid.toString(16)}\n` +
    `Mode: ${stats.mode}\n` +
    `Node count: ${stats.nodeCount}\n`
  );
}

function srvr(stats: ServerStats): string {
  return header(stats) + counters(stats);
}

function stat(stats: ServerStats): string {
  const clients = stats.connections
    .map((c) => ` /${c.remote}[1](queued=0,recved=${c.packetsReceived},sent=${c.packetsSent},sid=0x${c.sessionId.toString(16)})\n`)
    .join('');
  return header(stats) + `Clients:\n${clients}\n` + counters(stats);
}

function mntr(stats: ServerStats): string {
  const lines: Array<[string, string | number]> = [
    ['zk_version', ZOOKEEPER_COMPAT_VERSION],
    ['zk_server_state', stats.mode],
    ['zk_avg_latency', stats.latencyAvgMs.toFixed(4)],
    ['zk_max_latency', stats.latencyMaxMs],
    ['zk_min_latency', stats.latencyMinMs],
    ['zk_packets_received', stats.packetsReceived],
    ['zk_packets_sent', stats.packetsSent],
    ['zk_num_alive_connections', stats.connections.length],
    ['zk_outstanding_requests', stats.outstandingRequests],
    ['zk_znode_count', stats.nodeCount],
    ['zk_watch_count', stats.watchCount],
    ['zk_ephemerals_count', stats.ephemeralsCount],
    ['zk_approximate_data_size', stats.approximateDataBytes],
    ['zk_open_file_descriptor_count', 0],
    ['zk_max_file_descriptor_count', 0],
  ];
  if (stats.mode === 'leader') {
    lines.push(['zk_followers', stats.followers], ['zk_synced_followers', stats.syncedFollowers]);
  }
  return lines.map(([key, value]) => `${key}\t${value}\n`).join('');
}
