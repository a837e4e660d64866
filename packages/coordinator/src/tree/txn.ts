/**
 * Transactions: the deterministic unit every member applies in the same order. The leader (or
 * the single node) stamps a zxid and its clock; applying a txn never consults anything else, so
 * every replica derives the same tree, the same errors and the same watch triggers.
 *
 * Binary layout (reusing jute): zxid long, timeMs long, sessionId long, the proposing
 * connection's auth ids (vector<Id>, for ACL checks), type int, then the op's request record
 * (ZooKeeper op codes for the type).
 */
import {
  juteInt,
  ProtocolDecodeError,
  Reader,
  Writer,
  ZkCreateRequest,
  ZkMultiRequest,
  ZkOpCode,
  ZkPathVersionRequest,
  ZkSetAclRequest,
  ZkSetDataRequest,
  ZkId,
  juteVector,
  type ZkMultiOp,
} from '@kafkaesque/protocol/jute';

export type TxnOp =
  | { type: typeof ZkOpCode.createSession; timeoutMs: number }
  | { type: typeof ZkOpCode.closeSession }
  | { type: typeof ZkOpCode.create | typeof ZkOpCode.create2; request: ZkCreateRequest }
  | { type: typeof ZkOpCode.delete; request: ZkPathVersionRequest }
  | { type: typeof ZkOpCode.setData; request: ZkSetDataRequest }
  | { type: typeof ZkOpCode.setACL; request: ZkSetAclRequest }
  | { type: typeof ZkOpCode.multi; ops: ZkMultiOp[] }
  /** A leader's first entry of its term: commits the earlier terms' entries (Raft §5.4.2). */
  | { type: typeof TXN_NOOP };

export const TXN_NOOP = 0;

export interface Txn {
  zxid: number;
  timeMs: number;
  sessionId: bigint;
  /** Who proposed it (ip and digest ids of the client connection), for ACL checks. */
  auth: ZkId[];
  op: TxnOp;
}

const idVector = juteVector(ZkId);

export function encodeTxn(writer: Writer, txn: Txn): void {
  writer.int64Number(txn.zxid).int64Number(txn.timeMs).int64(txn.sessionId);
  idVector.encode(writer, txn.auth);
  writer.int32(txn.op.type);
  const op = txn.op;
  switch (op.type) {
    case ZkOpCode.createSession:
      juteInt.encode(writer, op.timeoutMs);
      break;
    case ZkOpCode.create:
    case ZkOpCode.create2:
      ZkCreateRequest.encode(writer, op.request);
      break;
    case ZkOpCode.delete:
      ZkPathVersionRequest.encode(writer, op.request);
      break;
    case ZkOpCode.setData:
      ZkSetDataRequest.encode(writer, op.request);
      break;
    case ZkOpCode.setACL:
      ZkSetAclRequest.encode(writer, op.request);
      break;
    case ZkOpCode.multi:
      ZkMultiRequest.encode(writer, op.ops);
      break;
    default:
      break;
  }
}

export function decodeTxn(reader: Reader): Txn {
  const zxid = reader.int64Number();
  const timeMs = reader.int64Number();
  const sessionId = reader.int64();
  const auth = idVector.decode(reader);
  const type = reader.int32();
  return { zxid, timeMs, sessionId, auth, op: decodeOp(reader, type) };
}

function decodeOp(reader: Reader, type: number): TxnOp {
  switch (type) {
    case ZkOpCode.createSession:
      return { type, timeoutMs: reader.int32() };
    case ZkOpCode.closeSession:
      return { type };
    case ZkOpCode.create:
    case ZkOpCode.create2:
      return { type, request: copyBuffers(ZkCreateRequest.decode(reader)) };
    case ZkOpCode.delete:
      return { type, request: ZkPathVersionRequest.decode(reader) };
    case ZkOpCode.setData:
      return { type, request: copyBuffers(ZkSetDataRequest.decode(reader)) };
    case ZkOpCode.setACL:
      return { type, request: ZkSetAclRequest.decode(reader) };
    case ZkOpCode.multi:
      return { type, ops: ZkMultiRequest.decode(reader).map(copyOpBuffers) };
    case TXN_NOOP:
      return { type };
    default:
      throw new ProtocolDecodeError('value', `unknown txn type ${type}`, reader.offset);
  }
}

/** Decoded buffers are views of the frame; the tree keeps data for long, so it owns a copy. */
function copyBuffers<T extends { data: Buffer | null }>(request: T): T {
  if (request.data !== null) request.data = Buffer.from(request.data);
  return request;
}

function copyOpBuffers(op: ZkMultiOp): ZkMultiOp {
  if (op.type === ZkOpCode.create || op.type === ZkOpCode.create2 || op.type === ZkOpCode.setData) {
    copyBuffers(op.request);
  }
  return op;
}

export function txnToBytes(txn: Txn): Buffer {
  const writer = new Writer(64);
  encodeTxn(writer, txn);
  return Buffer.from(writer.finish());
}

export function txnFromBytes(bytes: Buffer): Txn {
  return decodeTxn(new Reader(bytes));
}

/** Ops that change the tree (go through the leader and the log). */
export function isWriteOp(type: number): boolean {
  return (
    type === ZkOpCode.create ||
    type === ZkOpCode.create2 ||
    type === ZkOpCode.delete ||
    type === ZkOpCode.setData ||
    type === ZkOpCode.setACL ||
    type === ZkOpCode.multi ||
    type === ZkOpCode.createSession ||
    type === ZkOpCode.closeSession
  );
}
