// DescribeConfigs (API 32), versions 0–4.
// Behaviour notes:
// - TOPIC resources list every standard topic config (../config/topic-config.ts) with its
//   effective value and source: the topic's override, a dynamic or static broker setting
//   (log.retention.hours → retention.ms…), or Kafka's default.
// - BROKER resources: our broker id lists every broker setting (read-only unless changeable
//   at runtime); "" is the cluster-wide dynamic default and lists only what was set there.
//   Another broker's id is INVALID_REQUEST (clients send broker resources to that broker).
// - BROKER_LOGGER resources answer with no entries (logging levels are not exposed).
// - Synonyms (v1+) only when include_synonyms; documentation (v3+) only when asked.
import { DescribeConfigsRequest, DescribeConfigsResponse } from '@kafkaesque/protocol';
import { describeResource } from '../config/config-admin.ts';
import { defineHandler } from './types.ts';

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
  handle(context, request) {
    const results = request.resources.map((resource) => {
      const outcome = describeResource(context.services, resource.resourceType, resource.resourceName, {
        keys: resource.configurationKeys,
        includeSynonyms: context.apiVersion >= 1 && request.includeSynonyms,
        includeDocumentation: context.apiVersion >= 3 && request.includeDocumentation,
      });
      return {
        errorCode: outcome.errorCode,
        errorMessage: outcome.errorMessage,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        // is_default exists only in v0 (later versions carry config_source instead).
        configs: (outcome.value ?? []).map((config) => (context.apiVersion === 0 ? config : { ...config, isDefault: false })),
      };
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((resource) => ({
        errorCode, errorMessage: null, resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [],
      })),
    };
  },
});
