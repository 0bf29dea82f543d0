import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Clock } from '../../actors/runtime/clock.ts';
import type { Cause } from '../../actors/runtime/kind.ts';
import type { ActorSystem } from '../../actors/runtime/system.ts';
import { KEYS_ID, type SigningKey, signingKeysKind } from '../../actors/staff/keys.ts';
import type { Logger } from '../log.ts';
import type { SecretBox } from '../secrets.ts';

// Access tokens and 2FA step tokens: short-lived JWTs (jose, EdDSA over Ed25519) signed with
// the newest key of `signing-keys:main`. A key pair is generated on first start and on every
// rotation; the private half lives in the journal sealed with ABONENT_SECRET_KEY, the public
// halves are served as a JWK set. Times come from the injected clock, so tests expire tokens
// by moving a ManualClock.

export const ALG = 'EdDSA';
export const ISSUER = 'abonent';
export const ACCESS_AUDIENCE = 'abonent:staff';
export const MFA_AUDIENCE = 'abonent:mfa';
export const ACCESS_TTL_MS = 10 * 60_000;
export const MFA_TTL_MS = 5 * 60_000;
/** How far apart two nodes' clocks may be. */
const CLOCK_TOLERANCE_S = 5;
/** An unknown kid makes us re-read the keys (another node rotated), at most this often. */
const RELOAD_EVERY_MS = 5_000;

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'the token has expired' : 'the token is not valid');
  }
}

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  verify: CryptoKey | Uint8Array;
}

const keyContext = (kid: string) => `signing-key:${kid}`;

export class KeyRing {
  private keys = new Map<string, LoadedKey>();
  private signing: { kid: string; key: CryptoKey | Uint8Array } | undefined;
  private lastReload = Number.NEGATIVE_INFINITY;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly system: ActorSystem,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Loads the keys; makes the first one if there is none (or none this ABONENT_SECRET_KEY opens). */
  async start(): Promise<void> {
    await this.load();
    if (!this.signing) await this.rotate({ type: 'system', id: 'abonent' });
  }

  /** Makes a new signing key; tokens signed with the previous ones stay valid until they expire. */
  async rotate(cause: Cause): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = this.box.seal(JSON.stringify(await exportJWK(privateKey)), keyContext(kid));
    await this.system.ask(
      signingKeysKind,
      KEYS_ID,
      { type: 'AddKey', key: { kid, alg: ALG, publicJwk: { ...publicJwk }, privateJwk } },
      { cause },
    );
    await this.load();
    return kid;
  }

  /** The public keys, for GET /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return {
      keys: [...this.keys.values()].map((k) => ({ ...k.publicJwk, kid: k.kid, alg: ALG, use: 'sig' })),
    };
  }

  async sign(
    claims: JWTPayload,
    audience: string,
    ttlMs: number,
  ): Promise<{ token: string; expiresAt: number }> {
    const signing = this.signing;
    if (!signing) throw new Error('no signing key: KeyRing.start() was not awaited');
    const now = Math.floor(this.clock.now() / 1000);
    const exp = now + Math.floor(ttlMs / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: signing.kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(signing.key);
    return { token, expiresAt: exp * 1000 };
  }

  /** The claims of a valid token for `audience`; TokenError('expired' | 'invalid') otherwise. */
  async verify(token: string, audience: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
        issuer: ISSUER,
        audience,
        algorithms: [ALG],
        currentDate: new Date(this.clock.now()),
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      return payload;
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') throw new TokenError('expired');
      throw new TokenError('invalid');
    }
  }

  private async keyFor(kid: string | undefined): Promise<CryptoKey | Uint8Array> {
    if (kid === undefined) throw new TokenError('invalid');
    let key = this.keys.get(kid);
    if (!key && this.clock.now() - this.lastReload >= RELOAD_EVERY_MS) {
      // Another node may have rotated: read the keys again from the journal.
      this.system.passivate(signingKeysKind.name, KEYS_ID);
      await this.load();
      key = this.keys.get(kid);
    }
    if (!key) throw new TokenError('invalid');
    return key.verify;
  }

  private load(): Promise<void> {
    this.reloading ??= this.loadNow().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async loadNow(): Promise<void> {
    this.lastReload = this.clock.now();
    const stored = await this.system.read(signingKeysKind, KEYS_ID, (s) => s.keys);
    const keys = new Map<string, LoadedKey>();
    for (const k of stored) {
      keys.set(k.kid, {
        kid: k.kid,
        publicJwk: k.publicJwk as JWK,
        verify: await importJWK(k.publicJwk as JWK, ALG),
      });
    }
    this.keys = keys;
    const newest: SigningKey | undefined = stored[stored.length - 1];
    if (!newest || newest.kid === this.signing?.kid) return;
    try {
      const jwk = JSON.parse(this.box.open(newest.privateJwk, keyContext(newest.kid))) as JWK;
      this.signing = { kid: newest.kid, key: await importJWK(jwk, ALG) };
    } catch (error) {
      this.log.error(
        { err: error, kid: newest.kid },
        'the newest signing key cannot be opened with ABONENT_SECRET_KEY; a new one is made',
      );
      this.signing = undefined;
    }
  }
}
