"""Connects kazoo to an ensemble, creates an ephemeral, prints the member it is connected to,
then (after the test kills that member and writes 'go' on stdin) keeps writing with kazoo's
retry and reports whether the session and the ephemeral survived. Usage: kazoo_failover.py HOSTS"""
import json
import sys

from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

states = []
zk = KazooClient(hosts=sys.argv[1], timeout=6, connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5),
                 command_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5))
zk.add_listener(lambda state: states.append(str(state)))
zk.start(timeout=15)
session = zk.client_id[0]
zk.ensure_path('/failover')
zk.create('/failover/owner', b'', ephemeral=True)
for i in range(10):
    zk.create('/failover/before-%d' % i, b'')
peer = zk._connection._socket.getpeername()
print('connected %s:%d' % (peer[0], peer[1]), flush=True)
sys.stdin.readline()
written = []
for i in range(30):
    zk.retry(zk.create, '/failover/after-%d' % i, b'')
    written.append(i)
peer_after = zk._connection._socket.getpeername()
result = {
    'sameSession': zk.client_id[0] == session,
    'ownerExists': zk.exists('/failover/owner') is not None,
    'before': len([c for c in zk.get_children('/failover') if c.startswith('before-')]),
    'after': len(written),
    'movedTo': '%s:%d' % (peer_after[0], peer_after[1]),
    'states': list(states),
}
zk.stop()
print(json.dumps(result))
