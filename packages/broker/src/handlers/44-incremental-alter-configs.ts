// IncrementalAlterConfigs (API 44), versions 0–1.
// Behaviour notes: SET / DELETE any setting, APPEND / SUBTRACT items of list settings
// (cleanup.policy…; starting from the effective value when the resource has no override).
// Same resources and rules as AlterConfigs; only the listed settings change.
import { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '@kafkaesque/protocol';
import { alterResource } from '../config/config-admin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  request: IncrementalAlterConfigsRequest,
  response: IncrementalAlterConfigsResponse,
  async handle(context, request) {
    const responses = [];
    for (const resource of request.resources) {
      const changes = resource.configs.map((config) => ({ name: config.name, operation: config.configOperation, value: config.value }));
      const outcome = await alterResource(context.services, resource.resourceType, resource.resourceName, changes, false, request.validateOnly);
      responses.push({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, resourceType: resource.resourceType, resourceName: resource.resourceName });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((resource) => ({ errorCode, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName })),
    };
  },
});
