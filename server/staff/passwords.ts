import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

// Staff passwords: scrypt from node:crypto, its parameters stored with each hash
// (`scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`, base64url), so they can be raised later without
// invalidating old hashes. N = 2^15, r = 8 costs 32 MiB and ~50 ms per hash on one core, on
// libuv's thread pool, not the event loop.

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, LOG_N, R, P);
  return ['scrypt', LOG_N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!(logN >= 10 && logN <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return false;
  const expected = Buffer.from(parts[5]!, 'base64url');
  const key = await derive(password, Buffer.from(parts[4]!, 'base64url'), logN, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/**
 * Burns the same time as checking a real password, for logins of unknown usernames, so the
 * answer time does not tell which usernames exist. Always false.
 */
export async function verifyNobody(password: string): Promise<false> {
  dummy ??= hashPassword('no user has this password');
  await verifyPassword(password, await dummy);
  return false;
}
