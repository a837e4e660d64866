// DescribeCluster (API 60), versions 0–1.
// Behaviour notes: brokers with racks, cluster id and controller id as Metadata reports them.
// endpoint_type (v1) 1 = brokers is the only type we serve; 2 = controllers answers
// UNSUPPORTED_ENDPOINT_TYPE (there are no separate KRaft controllers here).
import { DescribeClusterRequest, DescribeClusterResponse, ErrorCode } from '@kafkaesque/protocol';
import { defineHandler } from './types.ts';

const ENDPOINT_BROKERS = 1;
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  request: DescribeClusterRequest,
  response: DescribeClusterResponse,
  handle(context, request) {
    const { metadata } = context.services;
    const endpointType = context.apiVersion >= 1 ? request.endpointType : ENDPOINT_BROKERS;
    if (endpointType !== ENDPOINT_BROKERS) {
      return {
        throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Endpoint type ${endpointType} is not served`,
        endpointType: context.apiVersion >= 1 ? endpointType : ENDPOINT_BROKERS, clusterId: metadata.clusterId, controllerId: -1, brokers: [],
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: ENDPOINT_BROKERS,
      clusterId: metadata.clusterId,
      controllerId: metadata.controllerId(),
      brokers: metadata.brokers().map((broker) => ({ brokerId: broker.id, host: broker.host, port: broker.port, rack: broker.rack })),
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
