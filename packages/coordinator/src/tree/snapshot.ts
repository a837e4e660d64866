/**
 * Serializes a whole DataTree (nodes with their stats, data and ACLs, and the open sessions) to
 * bytes, for snapshots on disk and for bringing a lagging member up to date. Nodes are written in
 * insertion order, which puts every parent before its children (a child never outlives its
 * parent, so a parent is never re-inserted while it has children).
 */
import { ProtocolDecodeError, Reader, Writer, ZkAcl, juteBuffer, juteString, juteVector } from '@kafkaesque/protocol/jute';
import { addChild, DataTree, type Znode } from './data-tree.ts';
import { nameOf, parentOf } from './paths.ts';

const SNAPSHOT_MAGIC = 0x5a4b534e; // "ZKSN"
const SNAPSHOT_FORMAT_VERSION = 1;
const aclVector = juteVector(ZkAcl);

export function serializeTree(tree: DataTree): Buffer {
  const writer = new Writer(64 * 1024);
  writer.int32(SNAPSHOT_MAGIC).int32(SNAPSHOT_FORMAT_VERSION).int64Number(tree.lastZxid);
  writer.int32(tree.nodes.size);
  for (const [path, node] of tree.nodes) {
    juteString.encode(writer, path);
    juteBuffer.encode(writer, node.data);
    aclVector.encode(writer, node.acl);
    writer
      .int64Number(node.czxid)
      .int64Number(node.mzxid)
      .int64Number(node.pzxid)
      .int64Number(node.ctimeMs)
      .int64Number(node.mtimeMs)
      .int32(node.version)
      .int32(node.cversion)
      .int32(node.aversion)
      .int64(node.ephemeralOwner);
  }
  writer.int32(tree.sessions.size);
  for (const session of tree.sessions.values()) writer.int64(session.sessionId).int32(session.timeoutMs);
  return Buffer.from(writer.finish());
}

export function deserializeTree(bytes: Buffer): DataTree {
  const reader = new Reader(bytes);
  if (reader.int32() !== SNAPSHOT_MAGIC) throw new ProtocolDecodeError('value', 'not a coordinator snapshot', 0);
  const formatVersion = reader.int32();
  if (formatVersion !== SNAPSHOT_FORMAT_VERSION) throw new ProtocolDecodeError('version', `snapshot format ${formatVersion}`, 4);
  const tree = new DataTree();
  tree.nodes.clear();
  tree.lastZxid = reader.int64Number();
  const nodeCount = reader.int32();
  if (nodeCount < 1 || nodeCount > reader.remaining) throw new ProtocolDecodeError('length', `bad node count ${nodeCount}`, reader.offset);
  for (let i = 0; i < nodeCount; i++) {
    const path = juteString.decode(reader);
    const data = juteBuffer.decode(reader);
    const node: Znode = {
      data: data === null ? null : Buffer.from(data),
      acl: aclVector.decode(reader),
      czxid: reader.int64Number(),
      mzxid: reader.int64Number(),
      pzxid: reader.int64Number(),
      ctimeMs: reader.int64Number(),
      mtimeMs: reader.int64Number(),
      version: reader.int32(),
      cversion: reader.int32(),
      aversion: reader.int32(),
      ephemeralOwner: reader.int64(),
      children: new Set(),
      childCapacity: 0,
    };
    tree.nodes.set(path, node);
    if (path !== '/') {
      const parent = tree.nodes.get(parentOf(path));
      if (parent === undefined) throw new ProtocolDecodeError('value', `snapshot node ${path} precedes its parent`, reader.offset);
      // as ZooKeeper does when it loads a snapshot: children re-added one by one
      addChild(parent, nameOf(path));
    }
  }
  const sessionCount = reader.int32();
  if (sessionCount < 0 || sessionCount > reader.remaining) throw new ProtocolDecodeError('length', `bad session count ${sessionCount}`, reader.offset);
  for (let i = 0; i < sessionCount; i++) {
    const sessionId = reader.int64();
    tree.sessions.set(sessionId, { sessionId, timeoutMs: reader.int32(), ephemerals: new Set() });
  }
  for (const [path, node] of tree.nodes) {
    if (node.ephemeralOwner !== 0n) tree.sessions.get(node.ephemeralOwner)?.ephemerals.add(path);
  }
  return tree;
}
