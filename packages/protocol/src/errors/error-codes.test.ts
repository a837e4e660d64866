import { describe, expect, it } from 'vitest';
import { ErrorCode, errorInfo, KafkaError } from './error-codes.ts';

describe('error codes', () => {
  it('maps names to Kafka codes', () => {
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(ErrorCode.OFFSET_OUT_OF_RANGE).toBe(1);
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(ErrorCode.NOT_LEADER_OR_FOLLOWER).toBe(6);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.INVALID_REGULAR_EXPRESSION).toBe(128);
  });

  it('describes every code, retriable as the Java client treats it', () => {
    expect(errorInfo(3)).toMatchObject({ code: 3, name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    expect(errorInfo(ErrorCode.NOT_COORDINATOR).retriable).toBe(true);
    expect(errorInfo(ErrorCode.TOPIC_AUTHORIZATION_FAILED).retriable).toBe(false);
    expect(errorInfo(0)).toMatchObject({ name: 'NONE', retriable: false });
    for (const [name, code] of Object.entries(ErrorCode)) {
      const info = errorInfo(code);
      expect(info.name).toBe(name);
      expect(info.message.length).toBeGreaterThan(0);
    }
    expect(errorInfo(9999)).toMatchObject({ code: 9999, retriable: false });
  });

  it('builds errors that carry the code, name and retriability', () => {
    const error = new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(5);
    expect(error.errorName).toBe('LEADER_NOT_AVAILABLE');
    expect(error.retriable).toBe(true);
    expect(error.message).toBe('Leader not available.');
    const withCause = new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'boom', { cause: new Error('disk') });
    expect(withCause.message).toBe('boom');
    expect((withCause.cause as Error).message).toBe('disk');
  });
});
