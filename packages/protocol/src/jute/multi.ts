/**
 * The multi (transaction) request and response. Neither is a plain jute record: each op is a
 * MultiHeader {type, done=false, err=-1} followed by that op's request record, and the list
 * ends with MultiHeader {type=-1, done=true, err=-1}. A result is a MultiHeader {type, done,
 * err} followed by the op's response (create: path; create2: path + Stat; setData: Stat;
 * delete/check: nothing; error (type -1): ErrorResponse {err}).
 */
import { ProtocolDecodeError } from '../primitives/errors.ts';
import type { Reader } from '../primitives/reader.ts';
import type { Writer } from '../primitives/writer.ts';
import type { JuteCodec } from './codec.ts';
import { ZkOpCode } from './constants.ts';
import {
  ZkCreateRequest,
  ZkErrorResponse,
  ZkMultiHeader,
  ZkPathRecord,
  ZkPathVersionRequest,
  ZkSetDataRequest,
  ZkCreate2Response,
  ZkStatResponse,
  ZkStat,
  type ZkCreateRequest as ZkCreateRequestType,
  type ZkPathVersionRequest as ZkPathVersionRequestType,
  type ZkSetDataRequest as ZkSetDataRequestType,
} from './records.ts';
import type { ZkStat as ZkStatType } from './records.ts';

/** Upper bound on ops in one multi, so a hostile frame cannot make us loop without end. */
export const MULTI_OPS_MAX = 100_000;

export type ZkMultiOp =
  | { type: typeof ZkOpCode.create | typeof ZkOpCode.create2; request: ZkCreateRequestType }
  | { type: typeof ZkOpCode.delete | typeof ZkOpCode.check; request: ZkPathVersionRequestType }
  | { type: typeof ZkOpCode.setData; request: ZkSetDataRequestType };

export type ZkMultiResult =
  | { type: typeof ZkOpCode.create; path: string }
  | { type: typeof ZkOpCode.create2; path: string; stat: ZkStatType }
  | { type: typeof ZkOpCode.delete | typeof ZkOpCode.check }
  | { type: typeof ZkOpCode.setData; stat: ZkStatType }
  | { type: typeof ZkOpCode.error; err: number };

function readHeader(reader: Reader, count: number): ZkMultiHeader {
  if (count >= MULTI_OPS_MAX) throw new ProtocolDecodeError('length', `multi has more than ${MULTI_OPS_MAX} ops`, reader.offset);
  return ZkMultiHeader.decode(reader);
}

export const ZkMultiRequest: JuteCodec<ZkMultiOp[]> = {
  kind: 'record',
  name: 'MultiRequest',
  encode(writer: Writer, ops: ZkMultiOp[]) {
    for (const op of ops) {
      ZkMultiHeader.encode(writer, { type: op.type, done: false, err: -1 });
      switch (op.type) {
        case ZkOpCode.create:
        case ZkOpCode.create2:
          ZkCreateRequest.encode(writer, op.request);
          break;
        case ZkOpCode.delete:
        case ZkOpCode.check:
          ZkPathVersionRequest.encode(writer, op.request);
          break;
        case ZkOpCode.setData:
          ZkSetDataRequest.encode(writer, op.request);
          break;
      }
    }
    ZkMultiHeader.encode(writer, { type: -1, done: true, err: -1 });
  },
  decode(reader: Reader): ZkMultiOp[] {
    const ops: ZkMultiOp[] = [];
    for (let header = readHeader(reader, 0); !header.done; header = readHeader(reader, ops.length)) {
      switch (header.type) {
        case ZkOpCode.create:
        case ZkOpCode.create2:
          ops.push({ type: header.type, request: ZkCreateRequest.decode(reader) });
          break;
        case ZkOpCode.delete:
        case ZkOpCode.check:
          ops.push({ type: header.type, request: ZkPathVersionRequest.decode(reader) });
          break;
        case ZkOpCode.setData:
          ops.push({ type: header.type, request: ZkSetDataRequest.decode(reader) });
          break;
        default:
          throw new ProtocolDecodeError('value', `op type ${header.type} is not allowed in a multi`, reader.offset);
      }
    }
    return ops;
  },
};

export const ZkMultiResponse: JuteCodec<ZkMultiResult[]> = {
  kind: 'record',
  name: 'MultiResponse',
  encode(writer: Writer, results: ZkMultiResult[]) {
    for (const result of results) {
      const err = result.type === ZkOpCode.error ? result.err : 0;
      ZkMultiHeader.encode(writer, { type: result.type, done: false, err });
      switch (result.type) {
        case ZkOpCode.create:
          ZkPathRecord.encode(writer, result);
          break;
        case ZkOpCode.create2:
          ZkCreate2Response.encode(writer, result);
          break;
        case ZkOpCode.setData:
          ZkStatResponse.encode(writer, result);
          break;
        case ZkOpCode.error:
          ZkErrorResponse.encode(writer, result);
          break;
        default:
          break;
      }
    }
    ZkMultiHeader.encode(writer, { type: -1, done: true, err: -1 });
  },
  decode(reader: Reader): ZkMultiResult[] {
    const results: ZkMultiResult[] = [];
    for (let header = readHeader(reader, 0); !header.done; header = readHeader(reader, results.length)) {
      switch (header.type) {
        case ZkOpCode.create:
          results.push({ type: header.type, path: ZkPathRecord.decode(reader).path });
          break;
        case ZkOpCode.create2: {
          const { path, stat } = ZkCreate2Response.decode(reader);
          results.push({ type: header.type, path, stat });
          break;
        }
        case ZkOpCode.setData:
          results.push({ type: header.type, stat: ZkStat.decode(reader) });
          break;
        case ZkOpCode.delete:
        case ZkOpCode.check:
          results.push({ type: header.type });
          break;
        case ZkOpCode.error:
          results.push({ type: header.type, err: ZkErrorResponse.decode(reader).err });
          break;
        default:
          throw new ProtocolDecodeError('value', `result type ${header.type} is not allowed in a multi`, reader.offset);
      }
    }
    return results;
  },
};
