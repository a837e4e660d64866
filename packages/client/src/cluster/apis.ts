/**
 * The Kafka APIs this client speaks, with the version range it implements for each. The version
 * actually used with a broker is the highest both sides support (negotiated with ApiVersions);
 * the lower bounds are what the client's code paths need (record batches v2 from Produce 3 and
 * Fetch 4, for instance).
 */
import {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  AlterConfigsRequest,
  AlterConfigsResponse,
  ApiVersionsRequest,
  ApiVersionsResponse,
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DeleteRecordsRequest,
  DeleteRecordsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  DescribeClusterRequest,
  DescribeClusterResponse,
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  ElectLeadersRequest,
  ElectLeadersResponse,
  EndTxnRequest,
  EndTxnResponse,
  FetchRequest,
  FetchResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
  InitProducerIdRequest,
  InitProducerIdResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  ListOffsetsRequest,
  ListOffsetsResponse,
  MetadataRequest,
  MetadataResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  ProduceRequest,
  ProduceResponse,
  SaslAuthenticateRequest,
  SaslAuthenticateResponse,
  SaslHandshakeRequest,
  SaslHandshakeResponse,
  SyncGroupRequest,
  SyncGroupResponse,
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  ConsumerGroupHeartbeatRequest,
  DescribeAclsRequest,
  DescribeAclsResponse,
  CreateAclsRequest,
  CreateAclsResponse,
  DeleteAclsRequest,
  DeleteAclsResponse,
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsResponse,
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
  ConsumerGroupHeartbeatResponse,
  type MessageCodec,
} from '@kafkaesque/protocol';

export interface ClientApi<Request, Response> {
  apiKey: number;
  name: string;
  request: MessageCodec<Request>;
  response: MessageCodec<Response>;
  /** Lowest version the client's code handles. */
  minVersion: number;
  /** Highest version the client's code handles (the codec may know newer ones). */
  maxVersion: number;
}

function api<Request, Response>(
  name: string,
  request: MessageCodec<Request>,
  response: MessageCodec<Response>,
  minVersion: number,
  maxVersion: number,
): ClientApi<Request, Response> {
  return { apiKey: request.apiKey as number, name, request, response, minVersion, maxVersion: Math.min(maxVersion, request.validVersions.max) };
}

export const Apis = {
  Produce: api('Produce', ProduceRequest, ProduceResponse, 3, 11),
  Fetch: api('Fetch', FetchRequest, FetchResponse, 4, 17),
  ListOffsets: api('ListOffsets', ListOffsetsRequest, ListOffsetsResponse, 1, 9),
  Metadata: api('Metadata', MetadataRequest, MetadataResponse, 1, 12),
  OffsetCommit: api('OffsetCommit', OffsetCommitRequest, OffsetCommitResponse, 2, 9),
  OffsetFetch: api('OffsetFetch', OffsetFetchRequest, OffsetFetchResponse, 1, 7),
  FindCoordinator: api('FindCoordinator', FindCoordinatorRequest, FindCoordinatorResponse, 0, 6),
  JoinGroup: api('JoinGroup', JoinGroupRequest, JoinGroupResponse, 0, 9),
  Heartbeat: api('Heartbeat', HeartbeatRequest, HeartbeatResponse, 0, 4),
  LeaveGroup: api('LeaveGroup', LeaveGroupRequest, LeaveGroupResponse, 0, 5),
  SyncGroup: api('SyncGroup', SyncGroupRequest, SyncGroupResponse, 0, 5),
  DescribeGroups: api('DescribeGroups', DescribeGroupsRequest, DescribeGroupsResponse, 0, 5),
  ListGroups: api('ListGroups', ListGroupsRequest, ListGroupsResponse, 0, 4),
  SaslHandshake: api('SaslHandshake', SaslHandshakeRequest, SaslHandshakeResponse, 1, 1),
  ApiVersions: api('ApiVersions', ApiVersionsRequest, ApiVersionsResponse, 0, 3),
  CreateTopics: api('CreateTopics', CreateTopicsRequest, CreateTopicsResponse, 2, 7),
  DeleteTopics: api('DeleteTopics', DeleteTopicsRequest, DeleteTopicsResponse, 1, 5),
  DeleteRecords: api('DeleteRecords', DeleteRecordsRequest, DeleteRecordsResponse, 0, 2),
  InitProducerId: api('InitProducerId', InitProducerIdRequest, InitProducerIdResponse, 0, 5),
  AddPartitionsToTxn: api('AddPartitionsToTxn', AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, 0, 3),
  AddOffsetsToTxn: api('AddOffsetsToTxn', AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, 0, 4),
  EndTxn: api('EndTxn', EndTxnRequest, EndTxnResponse, 0, 4),
  TxnOffsetCommit: api('TxnOffsetCommit', TxnOffsetCommitRequest, TxnOffsetCommitResponse, 0, 4),
  DescribeConfigs: api('DescribeConfigs', DescribeConfigsRequest, DescribeConfigsResponse, 1, 4),
  AlterConfigs: api('AlterConfigs', AlterConfigsRequest, AlterConfigsResponse, 0, 2),
  SaslAuthenticate: api('SaslAuthenticate', SaslAuthenticateRequest, SaslAuthenticateResponse, 0, 2),
  CreatePartitions: api('CreatePartitions', CreatePartitionsRequest, CreatePartitionsResponse, 0, 3),
  DeleteGroups: api('DeleteGroups', DeleteGroupsRequest, DeleteGroupsResponse, 0, 2),
  ElectLeaders: api('ElectLeaders', ElectLeadersRequest, ElectLeadersResponse, 0, 2),
  IncrementalAlterConfigs: api('IncrementalAlterConfigs', IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, 0, 1),
  AlterPartitionReassignments: api('AlterPartitionReassignments', AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, 0, 0),
  OffsetDelete: api('OffsetDelete', OffsetDeleteRequest, OffsetDeleteResponse, 0, 0),
  DescribeCluster: api('DescribeCluster', DescribeClusterRequest, DescribeClusterResponse, 0, 1),
  DescribeAcls: api('DescribeAcls', DescribeAclsRequest, DescribeAclsResponse, 1, 3),
  CreateAcls: api('CreateAcls', CreateAclsRequest, CreateAclsResponse, 1, 3),
  DeleteAcls: api('DeleteAcls', DeleteAclsRequest, DeleteAclsResponse, 1, 3),
  DescribeUserScramCredentials: api('DescribeUserScramCredentials', DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse, 0, 0),
  AlterUserScramCredentials: api('AlterUserScramCredentials', AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, 0, 0),
  ConsumerGroupHeartbeat: api('ConsumerGroupHeartbeat', ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, 0, 1),
} as const;

export type RequestOf<A> = A extends ClientApi<infer Request, unknown> ? Request : never;
export type ResponseOf<A> = A extends ClientApi<unknown, infer Response> ? Response : never;

/** Flexible versions use request header v2 and response header v1 (ApiVersions: always v0). */
export function isFlexible(codec: MessageCodec<unknown>, version: number): boolean {
  const range = codec.flexibleVersions;
  return range !== null && version >= range.min && version <= range.max;
}
