import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, decodeSecretKey } from './config.ts';
import type { Logger } from './log.ts';

// Secrets kept in the journal (router passwords, 2FA secrets, private signing keys) are sealed
// with AES-256-GCM under ABONENT_SECRET_KEY at the edge, bound to where they belong by a
// context string (a sealed secret copied to another user or key does not open there). Without the variable, a key is generated into
// DATA_DIR/secret.key on first start, with a warning: fine for a laptop, but whoever backs up
// the journal must back that file up too, and apart from it.

const VERSION = 'v1';
const IV_BYTES = 12;

export interface SecretBox {
  /** The first 8 hex digits of the key's SHA-256: which key sealed a value, never the key. */
  readonly keyId: string;
  /** `v1.<keyId>.<iv>.<ciphertext+tag>`, base64url. `context` must be given again to open it. */
  seal(plain: string, context: string): string;
  /** Throws when the value was sealed with another key or for another context. */
  open(sealed: string, context: string): string;
}

export class SecretKeyMismatch extends Error {
  override name = 'SecretKeyMismatch';
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return {
    keyId,
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [VERSION, keyId, iv.toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed, context) {
      const [version, sealedKeyId, iv, body] = sealed.split('.');
      if (version !== VERSION || !iv || !body) throw new Error('not a sealed secret');
      if (sealedKeyId !== keyId) {
        throw new SecretKeyMismatch(
          `sealed with key ${sealedKeyId}, but ABONENT_SECRET_KEY is key ${keyId}: was the key changed?`,
        );
      }
      const bytes = Buffer.from(body, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([
        decipher.update(bytes.subarray(0, bytes.length - 16)),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

export const SECRET_KEY_FILE = 'secret.key';

/** ABONENT_SECRET_KEY, or DATA_DIR/secret.key (made on first start, with a warning). */
export function loadSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>, log: Logger): Buffer {
  if (config.secretKey) {
    const key = decodeSecretKey(config.secretKey);
    if (!key) throw new Error('ABONENT_SECRET_KEY is not 32 bytes'); // config.ts checked it already
    return key;
  }
  const file = join(config.dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) {
    const key = decodeSecretKey(readFileSync(file, 'utf8'));
    if (!key) throw new Error(`${file} does not hold a 32-byte key (64 hex digits)`);
    log.warn({ file }, 'ABONENT_SECRET_KEY is not set: using the key in DATA_DIR/secret.key');
    return key;
  }
  const key = randomBytes(32);
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  log.warn(
    { file },
    'ABONENT_SECRET_KEY is not set: generated one into DATA_DIR/secret.key. Back it up apart from the journal, or set ABONENT_SECRET_KEY; without it 2FA secrets and signing keys cannot be read',
  );
  return key;
}
