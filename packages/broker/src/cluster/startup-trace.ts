/**
 * Where a cluster's start-up time goes: with KAFKAESQUE_STARTUP_TRACE=1, each phase of
 * `kafkaesque up` / `startCluster()` prints
 *   startup <ms since the process started> cpu=<CPU ms used so far, all threads> <phase>
 * on stderr (bench/cluster/up.ts reads these lines). On a loaded machine the wall time mostly
 * measures the neighbours; the CPU time measures us. Off by default: a mark is then one check.
 */
const enabled = process.env.KAFKAESQUE_STARTUP_TRACE === '1';

export function startupMark(phase: string): void {
  if (!enabled) return;
  // performance.now() counts from the process's start, so Node's own start-up is included.
  const { user, system } = process.cpuUsage();
  process.stderr.write(`startup ${performance.now().toFixed(1)} cpu=${((user + system) / 1000).toFixed(1)} ${phase}\n`);
}
