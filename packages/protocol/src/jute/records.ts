/**
 * The jute records of zookeeper.jute that ZooKeeper 3.8 clients and servers exchange (module
 * org.apache.zookeeper.data and org.apache.zookeeper.proto). Longs are bigint.
 */
import type { Reader } from '../primitives/reader.ts';
import type { Writer } from '../primitives/writer.ts';
import {
  juteBool,
  juteBuffer,
  juteInt,
  juteLong,
  juteRecord,
  juteString,
  juteVector,
  type JuteCodec,
} from './codec.ts';

export interface ZkId {
  scheme: string;
  id: string;
}
export const ZkId = juteRecord<ZkId>('Id', { scheme: juteString, id: juteString });

export interface ZkAcl {
  perms: number;
  id: ZkId;
}
export const ZkAcl = juteRecord<ZkAcl>('ACL', { perms: juteInt, id: ZkId });
const aclVector = juteVector(ZkAcl);

export interface ZkStat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}
export const ZkStat = juteRecord<ZkStat>('Stat', {
  czxid: juteLong,
  mzxid: juteLong,
  ctime: juteLong,
  mtime: juteLong,
  version: juteInt,
  cversion: juteInt,
  aversion: juteInt,
  ephemeralOwner: juteLong,
  dataLength: juteInt,
  numChildren: juteInt,
  pzxid: juteLong,
});
/** Stat is fixed-size: 6 longs and 5 ints. */
export const ZK_STAT_BYTES = 68;

/**
 * ConnectRequest. `readOnly` is the trailing boolean 3.x clients send; clients older than 3.4
 * omit it, so it decodes as false when the frame ends before it.
 */
export interface ZkConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer | null;
  readOnly: boolean;
}
const connectRequestBase = juteRecord<Omit<ZkConnectRequest, 'readOnly'>>('ConnectRequest', {
  protocolVersion: juteInt,
  lastZxidSeen: juteLong,
  timeOut: juteInt,
  sessionId: juteLong,
  passwd: juteBuffer,
});
export const ZkConnectRequest: JuteCodec<ZkConnectRequest> = withOptionalReadOnly('ConnectRequest', connectRequestBase);

export interface ZkConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer | null;
  readOnly: boolean;
}
const connectResponseBase = juteRecord<Omit<ZkConnectResponse, 'readOnly'>>('ConnectResponse', {
  protocolVersion: juteInt,
  timeOut: juteInt,
  sessionId: juteLong,
  passwd: juteBuffer,
});
export const ZkConnectResponse: JuteCodec<ZkConnectResponse> = withOptionalReadOnly('ConnectResponse', connectResponseBase);

function withOptionalReadOnly<T extends { readOnly: boolean }>(
  name: string,
  base: JuteCodec<Omit<T, 'readOnly'>>,
): JuteCodec<T> {
  return {
    kind: 'record',
    name,
    fields: [...(base.fields ?? []), ['readOnly', juteBool as JuteCodec<unknown>]],
    encode(writer: Writer, value: T) {
      base.encode(writer, value);
      juteBool.encode(writer, value.readOnly);
    },
    decode(reader: Reader): T {
      const value = base.decode(reader) as T;
      value.readOnly = reader.remaining > 0 ? juteBool.decode(reader) : false;
      return value;
    },
  };
}

export interface ZkRequestHeader {
  xid: number;
  type: number;
}
export const ZkRequestHeader = juteRecord<ZkRequestHeader>('RequestHeader', { xid: juteInt, type: juteInt });

export interface ZkReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}
export const ZkReplyHeader = juteRecord<ZkReplyHeader>('ReplyHeader', { xid: juteInt, zxid: juteLong, err: juteInt });

export interface ZkMultiHeader {
  type: number;
  done: boolean;
  err: number;
}
export const ZkMultiHeader = juteRecord<ZkMultiHeader>('MultiHeader', { type: juteInt, done: juteBool, err: juteInt });

export interface ZkAuthPacket {
  type: number;
  scheme: string;
  auth: Buffer | null;
}
export const ZkAuthPacket = juteRecord<ZkAuthPacket>('AuthPacket', { type: juteInt, scheme: juteString, auth: juteBuffer });

export interface ZkSetWatches {
  relativeZxid: bigint;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
}
const stringVector = juteVector(juteString);
export const ZkSetWatches = juteRecord<ZkSetWatches>('SetWatches', {
  relativeZxid: juteLong,
  dataWatches: stringVector,
  existWatches: stringVector,
  childWatches: stringVector,
});

export interface ZkSetWatches2 extends ZkSetWatches {
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}
export const ZkSetWatches2 = juteRecord<ZkSetWatches2>('SetWatches2', {
  relativeZxid: juteLong,
  dataWatches: stringVector,
  existWatches: stringVector,
  childWatches: stringVector,
  persistentWatches: stringVector,
  persistentRecursiveWatches: stringVector,
});

/** GetDataRequest, ExistsRequest, GetChildrenRequest and GetChildren2Request share this layout. */
export interface ZkPathWatchRequest {
  path: string;
  watch: boolean;
}
export const ZkPathWatchRequest = juteRecord<ZkPathWatchRequest>('PathWatchRequest', { path: juteString, watch: juteBool });

/** SyncRequest, SyncResponse, CreateResponse, GetACLRequest: a path alone. */
export interface ZkPathRecord {
  path: string;
}
export const ZkPathRecord = juteRecord<ZkPathRecord>('PathRecord', { path: juteString });

export interface ZkCreateRequest {
  path: string;
  data: Buffer | null;
  acl: ZkAcl[];
  flags: number;
}
export const ZkCreateRequest = juteRecord<ZkCreateRequest>('CreateRequest', {
  path: juteString,
  data: juteBuffer,
  acl: aclVector,
  flags: juteInt,
});

export interface ZkCreateTtlRequest extends ZkCreateRequest {
  ttl: bigint;
}
export const ZkCreateTtlRequest = juteRecord<ZkCreateTtlRequest>('CreateTTLRequest', {
  path: juteString,
  data: juteBuffer,
  acl: aclVector,
  flags: juteInt,
  ttl: juteLong,
});

/** DeleteRequest and CheckVersionRequest share this layout. */
export interface ZkPathVersionRequest {
  path: string;
  version: number;
}
export const ZkPathVersionRequest = juteRecord<ZkPathVersionRequest>('PathVersionRequest', {
  path: juteString,
  version: juteInt,
});

export interface ZkSetDataRequest {
  path: string;
  data: Buffer | null;
  version: number;
}
export const ZkSetDataRequest = juteRecord<ZkSetDataRequest>('SetDataRequest', {
  path: juteString,
  data: juteBuffer,
  version: juteInt,
});

export interface ZkSetAclRequest {
  path: string;
  acl: ZkAcl[];
  version: number;
}
export const ZkSetAclRequest = juteRecord<ZkSetAclRequest>('SetACLRequest', {
  path: juteString,
  acl: aclVector,
  version: juteInt,
});

/** SetDataResponse, ExistsResponse, SetACLResponse: a Stat alone. */
export interface ZkStatResponse {
  stat: ZkStat;
}
export const ZkStatResponse = juteRecord<ZkStatResponse>('StatResponse', { stat: ZkStat });

export interface ZkCreate2Response {
  path: string;
  stat: ZkStat;
}
export const ZkCreate2Response = juteRecord<ZkCreate2Response>('Create2Response', { path: juteString, stat: ZkStat });

export interface ZkGetDataResponse {
  data: Buffer | null;
  stat: ZkStat;
}
export const ZkGetDataResponse = juteRecord<ZkGetDataResponse>('GetDataResponse', { data: juteBuffer, stat: ZkStat });

export interface ZkGetChildrenResponse {
  children: string[];
}
export const ZkGetChildrenResponse = juteRecord<ZkGetChildrenResponse>('GetChildrenResponse', { children: stringVector });

export interface ZkGetChildren2Response {
  children: string[];
  stat: ZkStat;
}
export const ZkGetChildren2Response = juteRecord<ZkGetChildren2Response>('GetChildren2Response', {
  children: stringVector,
  stat: ZkStat,
});

export interface ZkGetAclResponse {
  acl: ZkAcl[];
  stat: ZkStat;
}
export const ZkGetAclResponse = juteRecord<ZkGetAclResponse>('GetACLResponse', { acl: aclVector, stat: ZkStat });

export interface ZkWatcherEvent {
  type: number;
  state: number;
  path: string;
}
export const ZkWatcherEvent = juteRecord<ZkWatcherEvent>('WatcherEvent', { type: juteInt, state: juteInt, path: juteString });

export interface ZkErrorResponse {
  err: number;
}
export const ZkErrorResponse = juteRecord<ZkErrorResponse>('ErrorResponse', { err: juteInt });

export interface ZkAddWatchRequest {
  path: string;
  mode: number;
}
export const ZkAddWatchRequest = juteRecord<ZkAddWatchRequest>('AddWatchRequest', { path: juteString, mode: juteInt });

export interface ZkCheckWatchesRequest {
  path: string;
  type: number;
}
export const ZkCheckWatchesRequest = juteRecord<ZkCheckWatchesRequest>('CheckWatchesRequest', {
  path: juteString,
  type: juteInt,
});

/** The open ACL (world:anyone, all permissions) every kazoo and zkCli create sends by default. */
export const ZK_OPEN_ACL_UNSAFE: readonly ZkAcl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
