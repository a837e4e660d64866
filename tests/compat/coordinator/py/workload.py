"""A seeded, randomized kazoo workload for the differential test. Prints one JSON line:
{"log": [[op, args, result], ...], "events": [[type, path], ...]} where results keep what both
servers must agree on (paths, data, versions, child counts, error classes) and drop zxids and
times. Usage: workload.py HOSTS SEED OPS [acl|open] [BASE]: BASE (default /diff-SEED) is the
workload's root, fresh per attempt so that a retried run never meets a previous attempt's nodes
(with restrictive ACLs some of them cannot be deleted)."""
import json
import random
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.security import make_acl

hosts, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
base = sys.argv[5] if len(sys.argv) > 5 else '/diff-%d' % seed
names = ['a', 'b', 'c', 'a/x', 'a/y', 'b/z', 'a/x/q', 'c/s-']
# restrictive ACLs make ZooKeeper answer NOAUTH; with ENFORCE_ACLS=0 the workload sets only open ones
PERM_CHOICES = [dict(all=True), dict(read=True, write=True, create=True, delete=True, admin=True)]
if len(sys.argv) > 4 and sys.argv[4] == 'acl':
    PERM_CHOICES += [dict(read=True, write=True), dict(read=True), dict(all=True, read=True)]
events = []
events_lock = threading.Lock()


def on_event(event):
    with events_lock:
        events.append([event.type, event.path])


def stat_view(stat):
    if stat is None:
        return None
    return {'version': stat.version, 'cversion': stat.cversion, 'aversion': stat.aversion,
            'dataLength': stat.dataLength, 'numChildren': stat.numChildren,
            'ephemeral': stat.ephemeralOwner != 0, 'modified': stat.mzxid != stat.czxid,
            'childrenChanged': stat.pzxid != stat.czxid}


def view(value):
    if isinstance(value, bytes):
        return 'b:' + value.decode('latin1')
    if hasattr(value, 'czxid'):
        return stat_view(value)
    if isinstance(value, Exception):
        return 'error:' + type(value).__name__
    if isinstance(value, (list, tuple)):
        return [view(v) for v in value]
    return value


zk = KazooClient(hosts=hosts, timeout=10)
zk.start(timeout=15)
other = KazooClient(hosts=hosts, timeout=10)
other.start(timeout=15)
if zk.exists(base):
    zk.delete(base, recursive=True)
zk.create(base)
log = []


def path():
    return base + '/' + rng.choice(names)


def data():
    return rng.choice([b'', b'v1', b'value-2', b'x' * rng.randint(0, 40)])


def version():
    return rng.choice([-1, -1, 0, 1, 2])


def step(i):
    kind = rng.choice(['create', 'create', 'create', 'set', 'set', 'delete', 'delete', 'get', 'exists',
                       'children', 'transaction', 'other-create', 'create2', 'acl', 'sync'])
    p = path()
    if kind == 'create':
        ephemeral, sequence = rng.random() < 0.2, rng.random() < 0.3
        args = [p, ephemeral, sequence]
        call = lambda: zk.create(p, data(), ephemeral=ephemeral, sequence=sequence)
    elif kind == 'create2':
        sequence = rng.random() < 0.3
        args = [p, sequence]
        call = lambda: zk.create(p, data(), sequence=sequence, include_data=True)
    elif kind == 'acl':
        v = rng.choice([-1, 0, 1])
        perms = rng.choice(PERM_CHOICES)
        args = [p, v, sorted(perms)]

        def call():
            zk.set_acls(p, [make_acl('world', 'anyone', **perms)], version=v)
            acls, stat = zk.get_acls(p)
            return [[a.perms, a.id.scheme, a.id.id] for a in acls], stat
    elif kind == 'sync':
        args = [p]
        call = lambda: zk.sync(p)
    elif kind == 'other-create':
        args = [p]
        call = lambda: other.create(p, b'o', ephemeral=True)
    elif kind == 'set':
        v = version()
        args = [p, v]
        call = lambda: zk.set(p, data(), version=v)
    elif kind == 'delete':
        v = version()
        args = [p, v]
        call = lambda: zk.delete(p, version=v)
    elif kind == 'get':
        watch = rng.random() < 0.5
        args = [p, watch]
        call = lambda: zk.get(p, watch=on_event if watch else None)
    elif kind == 'exists':
        watch = rng.random() < 0.5
        args = [p, watch]
        call = lambda: zk.exists(p, watch=on_event if watch else None)
    elif kind == 'children':
        watch, include = rng.random() < 0.5, rng.random() < 0.5
        args = [p, watch, include]

        def call():
            result = zk.get_children(p, watch=on_event if watch else None, include_data=include)
            # unsorted: the server's own order (ZooKeeper's is its HashSet's) must match too
            return [result[0], result[1]] if include else result
    else:
        tx = zk.transaction()
        ops = []
        for _ in range(rng.randint(1, 3)):
            op, q = rng.choice(['create', 'delete', 'set', 'check']), path()
            if op == 'create':
                flags = rng.choice([(False, False), (False, True), (True, False), (True, True)])
                tx.create(q, data(), ephemeral=flags[0], sequence=flags[1])
                op = 'create-%d%d' % flags
            elif op == 'delete':
                tx.delete(q, version())
            elif op == 'set':
                tx.set_data(q, data(), version())
            else:
                tx.check(q, version())
            ops.append([op, q])
        args = ops
        call = tx.commit
    try:
        result = view(call())
    except KazooException as error:
        result = view(error)
    log.append([kind, args, result])


for i in range(count):
    step(i)
    if i == count // 2:
        other.stop()  # its ephemerals go, firing watches
        other.close()
        zk.sync(base)
        other = KazooClient(hosts=hosts, timeout=10)
        other.start(timeout=15)

zk.sync(base)
time.sleep(0.5)
final = {}
stack = [base]
while stack:
    p = stack.pop()
    data_value, stat = zk.get(p)
    final[p] = [view(data_value), stat_view(stat)]
    stack.extend(p + '/' + child for child in zk.get_children(p))
other.stop()
try:
    zk.delete(base, recursive=True)
except KazooException:
    pass  # a node without DELETE for its children stays; the next run uses another base
zk.stop()
with events_lock:
    print(json.dumps({'log': log, 'events': events, 'final': final}))
