"""Prints, as JSON, the exact request bytes kazoo sends for each request kind (hex, without
the length prefix), so the TypeScript jute codecs can be checked against them."""
import json
from kazoo.protocol import serialization as s
from kazoo.security import OPEN_ACL_UNSAFE, make_digest_acl

frames = {}


def frame(name, request, xid):
    body = bytearray()
    if xid is not None:
        body.extend(s.int_struct.pack(xid))
    if request.type is not None:
        body.extend(s.int_struct.pack(request.type))
    body += request.serialize()
    frames[name] = bytes(body).hex()


frame('connect', s.Connect(0, 0x100000005, 10000, 0x0123456789abcdef, b'\x01' * 16, False), None)
frame('create', s.Create('/a/b', b'data', OPEN_ACL_UNSAFE, 3), 1)
frame('create2', s.Create2('/c', None, [make_digest_acl('user', 'pw', all=True)], 0), 2)
frame('delete', s.Delete('/a', 7), 3)
frame('exists', s.Exists('/a', True), 4)
frame('getData', s.GetData('/a', False), 5)
frame('setData', s.SetData('/a', b'\x00\xff', -1), 6)
frame('getChildren', s.GetChildren('/a', True), 7)
frame('getChildren2', s.GetChildren2('/a', False), 8)
frame('sync', s.Sync('/a'), 9)
frame('check', s.CheckVersion('/a', 2), 10)
frame('ping', s.Ping(), -2)
frame('close', s.Close(), 11)
frame('auth', s.Auth(0, 'digest', 'user:pw'), -4)
frame('multi', s.Transaction([
    s.CheckVersion('/a', 1),
    s.Create('/a/x', b'1', OPEN_ACL_UNSAFE, 0),
    s.SetData('/a', b'2', 1),
    s.Delete('/a/y', -1),
]), 12)
print(json.dumps(frames))
