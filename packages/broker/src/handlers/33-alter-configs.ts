// AlterConfigs (API 33), versions 0–2.
// Behaviour notes: replaces the whole set of overrides of each resource (settings not listed
// go back to their defaults), as Kafka does. TOPIC resources take any standard topic config;
// BROKER resources (our id, or "" for the cluster default) only settings that are dynamic in
// Kafka. validate_only checks without changing anything. Changes reach the logs at once.
import { AlterConfigsRequest, AlterConfigsResponse } from '@kafkaesque/protocol';
import { AlterOperation, alterResource } from '../config/config-admin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  request: AlterConfigsRequest,
  response: AlterConfigsResponse,
  async handle(context, request) {
    const responses = [];
    for (const resource of request.resources) {
      const changes = resource.configs.map((config) => ({ name: config.name, operation: AlterOperation.set, value: config.value }));
      const outcome = await alterResource(context.services, resource.resourceType, resource.resourceName, changes, true, request.validateOnly);
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
