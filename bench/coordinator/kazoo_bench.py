"""kazoo create / set / get against one ZooKeeper-compatible endpoint. Prints one JSON line:
{op: {"opsPerSec", "p50Ms", "p99Ms", "mode"}}. Sync mode: one call at a time (latency).
Async mode: a window of outstanding calls (throughput). Usage: kazoo_bench.py HOSTS COUNT WINDOW"""
import json
import sys
import time

from kazoo.client import KazooClient

hosts, count, window = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
zk = KazooClient(hosts=hosts, timeout=15)
zk.start(timeout=20)
base = '/bench-%d' % int(time.time() * 1000)
zk.create(base)
payload = b'x' * 100
results = {}


def summarize(name, latencies, elapsed):
    latencies.sort()
    results[name] = {
        'opsPerSec': round(len(latencies) / elapsed, 1),
        'p50Ms': round(latencies[len(latencies) // 2] * 1000, 3),
        'p99Ms': round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 3),
    }


def run_sync(name, call):
    latencies = []
    started = time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        call(i)
        latencies.append(time.perf_counter() - t)
    summarize(name, latencies, time.perf_counter() - started)


def run_async(name, call_async):
    latencies = []
    started = time.perf_counter()
    pending = []
    for i in range(count):
        pending.append((time.perf_counter(), call_async(i)))
        if len(pending) >= window:
            t, result = pending.pop(0)
            result.get()
            latencies.append(time.perf_counter() - t)
    for t, result in pending:
        result.get()
        latencies.append(time.perf_counter() - t)
    summarize(name, latencies, time.perf_counter() - started)


run_sync('create', lambda i: zk.create('%s/s%d' % (base, i), payload))
run_sync('set', lambda i: zk.set('%s/s%d' % (base, i), payload))
run_sync('get', lambda i: zk.get('%s/s%d' % (base, i)))
run_async('create-async', lambda i: zk.create_async('%s/a%d' % (base, i), payload))
run_async('set-async', lambda i: zk.set_async('%s/a%d' % (base, i), payload))
run_async('get-async', lambda i: zk.get_async('%s/a%d' % (base, i)))
zk.delete(base, recursive=True)
zk.stop()
print(json.dumps(results))
