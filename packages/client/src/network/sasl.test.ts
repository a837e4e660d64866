import { describe, expect, it } from 'vitest';
import { createSaslExchange } from './sasl.ts';
import { KafkaAuthenticationError } from '../errors.ts';

describe('SASL', () => {
  it('PLAIN sends authzid, username and password separated by NUL once', () => {
    const exchange = createSaslExchange({ mechanism: 'PLAIN', username: 'alice', password: 'secret' });
    expect(exchange.next(null)?.toString()).toBe('\u0000alice\u0000secret');
    expect(exchange.next(Buffer.alloc(0))).toBeNull();
  });

  // RFC 7677 section 3 example exchange
  it('SCRAM-SHA-256 reproduces the RFC 7677 example', () => {
    const exchange = createSaslExchange({ mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil' }, 'rOprNGfwEbeRWgbNEkqO');
    expect(exchange.next(null)?.toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    expect(exchange.next(Buffer.from(serverFirst))?.toString()).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(exchange.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull();
  });

  it('SCRAM rejects a wrong server signature and a foreign nonce', () => {
    const exchange = createSaslExchange({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' }, 'abc');
    exchange.next(null);
    exchange.next(Buffer.from('r=abcdef,s=c2FsdA==,i=4096'));
    expect(() => exchange.next(Buffer.from('v=AAAA'))).toThrow(KafkaAuthenticationError);
    const other = createSaslExchange({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' }, 'abc');
    other.next(null);
    expect(() => other.next(Buffer.from('r=zzz,s=c2FsdA==,i=4096'))).toThrow(KafkaAuthenticationError);
  });
});
