/**
 * Reads the topics out of a classic consumer's JoinGroup metadata (ConsumerProtocolSubscription,
 * an int16 version then the struct), which OffsetDelete needs to answer
 * GROUP_SUBSCRIBED_TO_TOPIC. Like Kafka's ConsumerProtocol, a newer version than we know is read
 * as the newest we know (later versions only add fields at the end); bad bytes give no topics.
 */
import { ConsumerProtocolSubscription, Reader } from '@kafkaesque/protocol';

export function subscribedTopicsOf(metadata: Buffer): string[] {
  if (metadata.length < 2) return [];
  try {
    const reader = new Reader(metadata);
    const version = Math.min(reader.int16(), ConsumerProtocolSubscription.validVersions.max);
    if (version < 0) return [];
    return ConsumerProtocolSubscription.decode(reader, version).topics;
  } catch {
    return [];
  }
}
