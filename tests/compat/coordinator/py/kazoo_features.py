"""Exercises kazoo's everyday API against a ZooKeeper-compatible server and prints one JSON
line: {"features": {name: {"ok": bool, "error": str}}}. Usage: kazoo_features.py HOSTS"""
import json
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, NoAuthError, NoChildrenForEphemeralsError, NodeExistsError,
                              NoNodeError, NotEmptyError, RolledBackError, RuntimeInconsistency)

hosts = sys.argv[1]
features = {}


def feature(name):
    def wrap(fn):
        try:
            fn()
            features[name] = {'ok': True}
        except Exception as error:  # report, keep going
            features[name] = {'ok': False, 'error': '%s: %s\n%s' % (type(error).__name__, error, traceback.format_exc()[-800:])}
        return fn
    return wrap


def wait_for(predicate, timeout=10):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError('timed out')
        time.sleep(0.02)


zk = KazooClient(hosts=hosts, timeout=10)
zk.start(timeout=15)
other = KazooClient(hosts=hosts, timeout=10)
other.start(timeout=15)
base = '/kazoo-features'
if zk.exists(base):
    zk.delete(base, recursive=True)
zk.create(base)


@feature('create')
def _():
    assert zk.create(base + '/c', b'v') == base + '/c'
    try:
        zk.create(base + '/c')
        raise AssertionError('expected NodeExistsError')
    except NodeExistsError:
        pass
    try:
        zk.create(base + '/missing/x')
        raise AssertionError('expected NoNodeError')
    except NoNodeError:
        pass
    assert zk.create(base + '/deep/a/b', b'x', makepath=True) == base + '/deep/a/b'


@feature('read')
def _():
    data, stat = zk.get(base + '/c')
    assert data == b'v' and stat.version == 0 and stat.dataLength == 1, (data, stat)
    assert zk.exists(base + '/nope') is None
    assert zk.exists(base + '/c').czxid == stat.czxid


@feature('write')
def _():
    stat = zk.set(base + '/c', b'w', version=0)
    assert stat.version == 1
    try:
        zk.set(base + '/c', b'x', version=0)
        raise AssertionError('expected BadVersionError')
    except BadVersionError:
        pass
    assert zk.get(base + '/c')[0] == b'w'


@feature('children')
def _():
    zk.create(base + '/kids')
    for name in ('a', 'b', 'c'):
        zk.create(base + '/kids/' + name)
    assert sorted(zk.get_children(base + '/kids')) == ['a', 'b', 'c']
    children, stat = zk.get_children(base + '/kids', include_data=True)
    assert stat.numChildren == 3 and stat.cversion == 3, stat


@feature('delete')
def _():
    try:
        zk.delete(base + '/kids')
        raise AssertionError('expected NotEmptyError')
    except NotEmptyError:
        pass
    try:
        zk.delete(base + '/c', version=0)
        raise AssertionError('expected BadVersionError')
    except BadVersionError:
        pass
    zk.delete(base + '/c', version=1)
    zk.delete(base + '/kids', recursive=True)
    assert zk.exists(base + '/kids') is None


@feature('ephemeral')
def _():
    temp = KazooClient(hosts=hosts, timeout=10)
    temp.start(timeout=15)
    temp.create(base + '/eph', b'', ephemeral=True)
    zk.sync(base)  # zk may use another member: catch up with the leader first, as ZooKeeper requires
    assert zk.exists(base + '/eph').ephemeralOwner == temp.client_id[0]
    try:
        temp.create(base + '/eph/child')
        raise AssertionError('expected NoChildrenForEphemeralsError')
    except NoChildrenForEphemeralsError:
        pass
    temp.stop()
    temp.close()
    wait_for(lambda: zk.exists(base + '/eph') is None)


@feature('sequential')
def _():
    zk.create(base + '/seq')
    first = zk.create(base + '/seq/n-', sequence=True)
    second = zk.create(base + '/seq/n-', sequence=True, ephemeral=True)
    assert first == base + '/seq/n-0000000000', first
    assert second == base + '/seq/n-0000000001', second


@feature('watches')
def _():
    events = []
    lock = threading.Lock()

    def record(event):
        with lock:
            events.append((event.type, event.path))
    zk.create(base + '/w', b'0')
    zk.get(base + '/w', watch=record)
    zk.get_children(base + '/w', watch=record)
    zk.exists(base + '/w-later', watch=record)
    other.set(base + '/w', b'1')
    other.create(base + '/w/kid')
    other.create(base + '/w-later')
    other.set(base + '/w', b'2')  # one-shot: no second CHANGED
    wait_for(lambda: len(events) >= 3)
    time.sleep(0.3)
    assert events == [('CHANGED', base + '/w'), ('CHILD', base + '/w'), ('CREATED', base + '/w-later')], events


@feature('datawatch')
def _():
    seen = []
    zk.create(base + '/dw', b'a')

    @zk.DataWatch(base + '/dw')
    def watcher(data, stat):
        seen.append(data)
    other.set(base + '/dw', b'b')
    other.set(base + '/dw', b'c')
    wait_for(lambda: seen[-1:] == [b'c'])


@feature('transaction')
def _():
    zk.create(base + '/t', b'x')
    tx = zk.transaction()
    tx.check(base + '/t', 0)
    tx.create(base + '/t/a', b'a')
    tx.set_data(base + '/t', b'y')
    tx.delete(base + '/t/a')
    results = tx.commit()
    assert results[0] is True and results[1] == base + '/t/a' and results[2].version == 1 and results[3] is True, results
    tx = zk.transaction()
    tx.create(base + '/t/b')
    tx.check(base + '/t', 0)
    tx.create(base + '/t/c')
    results = tx.commit()
    assert [type(r) for r in results] == [RolledBackError, BadVersionError, RuntimeInconsistency], results
    assert zk.exists(base + '/t/b') is None


@feature('sync')
def _():
    zk.sync(base)


@feature('acl')
def _():
    acls, stat = zk.get_acls(base)
    assert acls[0].perms == 31 and acls[0].id.scheme == 'world', acls
    from kazoo.security import make_digest_acl, make_acl
    zk.create(base + '/acl', b'', acl=[make_acl('world', 'anyone', read=True, write=True, admin=True)])
    acls, stat = zk.get_acls(base + '/acl')
    assert acls[0].perms == 19 and stat.aversion == 0, (acls, stat)
    try:
        zk.create(base + '/acl/child')  # no CREATE permission
        raise AssertionError('expected NoAuthError')
    except NoAuthError:
        pass
    stat = zk.set_acls(base + '/acl', [make_digest_acl('user', 'pw', all=True)])
    assert stat.aversion == 1, stat
    try:
        zk.get_acls(base + '/acl')  # READ or ADMIN needed, now only user:pw has them
        raise AssertionError('expected NoAuthError')
    except NoAuthError:
        pass
    zk.add_auth('digest', 'user:pw')
    acls, stat = zk.get_acls(base + '/acl')
    assert acls[0].id.scheme == 'digest' and acls[0].perms == 31, acls


@feature('auth')
def _():
    from kazoo.exceptions import NoAuthError
    from kazoo.security import make_acl
    zk.add_auth('digest', 'user:pw')
    zk.create(base + '/private', b'secret', acl=[make_acl('auth', '', all=True)])
    acls, _ = zk.get_acls(base + '/private')
    assert acls[0].id.scheme == 'digest' and acls[0].id.id.startswith('user:'), acls
    assert zk.get(base + '/private')[0] == b'secret'
    other.sync(base)
    for call in (lambda: other.get(base + '/private'), lambda: other.set(base + '/private', b'x')):
        try:
            call()
            raise AssertionError('expected NoAuthError')
        except NoAuthError:
            pass
    zk.delete(base + '/private')


@feature('large-data')
def _():
    big = b'z' * (1024 * 1000)
    zk.create(base + '/big', big)
    assert zk.get(base + '/big')[0] == big


zk.delete(base, recursive=True)
other.stop()
zk.stop()
print(json.dumps({'features': features}))
