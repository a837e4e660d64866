/**
 * Client side of SASL PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, RFC 7677), as Kafka
 * runs them inside SaslAuthenticate requests. The mechanisms here only compute the messages;
 * the cluster layer carries them over the wire.
 */
import crypto from 'node:crypto';
import { KafkaAuthenticationError } from '../errors.ts';

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslOptions {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
}

/** A SASL exchange: each step takes the server's last message (empty at first). */
export interface SaslExchange {
  /** Next message to send, or null when the exchange is complete. */
  next(serverMessage: Buffer | null): Buffer | null;
}

export function createSaslExchange(options: SaslOptions, nonce?: string): SaslExchange {
  if (options.mechanism === 'PLAIN') return plainExchange(options);
  if (options.mechanism === 'SCRAM-SHA-256') return new ScramExchange('sha256', options, nonce);
  if (options.mechanism === 'SCRAM-SHA-512') return new ScramExchange('sha512', options, nonce);
  throw new KafkaAuthenticationError(`unsupported SASL mechanism ${String((options as SaslOptions).mechanism)}`);
}

function plainExchange(options: SaslOptions): SaslExchange {
  let sent = false;
  return {
    next() {
      if (sent) return null;
      sent = true;
      return Buffer.from(`\u0000${options.username}\u0000${options.password}`, 'utf8');
    },
  };
}

/** RFC 5802 saslname: ',' and '=' are escaped. */
function escapeSaslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

function parseScramAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) attributes.set(part.slice(0, equals), part.slice(equals + 1));
  }
  return attributes;
}

export class ScramExchange implements SaslExchange {
  private readonly hash: 'sha256' | 'sha512';
  private readonly options: SaslOptions;
  private readonly clientNonce: string;
  private step = 0;
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;

  constructor(hash: 'sha256' | 'sha512', options: SaslOptions, nonce = crypto.randomBytes(24).toString('base64url')) {
    this.hash = hash;
    this.options = options;
    this.clientNonce = nonce;
  }

  next(serverMessage: Buffer | null): Buffer | null {
    this.step++;
    if (this.step === 1) {
      this.clientFirstBare = `n=${escapeSaslName(this.options.username)},r=${this.clientNonce}`;
      return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
    }
    if (this.step === 2) return Buffer.from(this.clientFinal(String(serverMessage ?? '')), 'utf8');
    if (this.step === 3) {
      this.verifyServerFinal(String(serverMessage ?? ''));
      return null;
    }
    return null;
  }

  private clientFinal(serverFirst: string): string {
    const attributes = parseScramAttributes(serverFirst);
    const nonce = attributes.get('r');
    const salt = attributes.get('s');
    const iterations = Number(attributes.get('i'));
    if (!nonce || !salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new KafkaAuthenticationError(`malformed SCRAM server-first message`);
    }
    if (!nonce.startsWith(this.clientNonce)) throw new KafkaAuthenticationError('SCRAM server nonce does not extend the client nonce');
    const keyBytes = this.hash === 'sha256' ? 32 : 64;
    const saltedPassword = crypto.pbkdf2Sync(this.options.password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, keyBytes, this.hash);
    const clientKey = this.hmac(saltedPassword, 'Client Key');
    const storedKey = crypto.createHash(this.hash).update(clientKey).digest();
    const clientFinalWithoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const clientSignature = this.hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ clientSignature[i];
    const serverKey = this.hmac(saltedPassword, 'Server Key');
    this.expectedServerSignature = this.hmac(serverKey, authMessage);
    return `${clientFinalWithoutProof},p=${proof.toString('base64')}`;
  }

  private verifyServerFinal(serverFinal: string): void {
    const attributes = parseScramAttributes(serverFinal);
    const error = attributes.get('e');
    if (error) throw new KafkaAuthenticationError(`SCRAM authentication failed: ${error}`);
    const signature = attributes.get('v');
    const received = Buffer.from(signature ?? '', 'base64');
    const expected = this.expectedServerSignature;
    if (!expected || received.length !== expected.length || !crypto.timingSafeEqual(received, expected)) {
      throw new KafkaAuthenticationError('SCRAM server signature does not match: the server does not know the password');
    }
  }

  private hmac(key: Buffer, text: string): Buffer {
    return crypto.createHmac(this.hash, key).update(text, 'utf8').digest();
  }
}
