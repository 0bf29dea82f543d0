import { type ActorKind, accept, type Cause, reject } from '../runtime/kind.ts';

// The keys access tokens are signed with: `signing-keys:main`. The edge generates a key pair
// (on first start, and on POST /api/v1/auth/keys/rotate) and hands it over with the private
// half sealed with ABONENT_SECRET_KEY; the newest key signs, the few before it still verify
// tokens issued just before a rotation. GET /.well-known/jwks.json publishes the public halves.

export const SIGNING_KEYS = 'signing-keys';
export const KEYS_ID = 'main';
/** Keys kept: the signing one and the ones before it (tokens live minutes, so two would do). */
export const KEYS_KEPT = 3;

export interface SigningKey {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  /** The private JWK as JSON, sealed (server/staff/secrets.ts). */
  privateJwk: string;
  createdAt: number;
}

export interface SigningKeysState {
  /** Oldest first; the last one signs. */
  keys: SigningKey[];
}

export interface AddSigningKey {
  type: 'AddKey';
  key: Omit<SigningKey, 'createdAt'>;
}

export interface SigningKeyAdded {
  type: 'SigningKeyAdded';
  key: SigningKey;
  by: Cause;
  at: number;
}

export const signingKeysKind: ActorKind<SigningKeysState, AddSigningKey, SigningKeyAdded, { kid: string }> = {
  name: SIGNING_KEYS,
  initial: () => ({ keys: [] }),
  decide(state, command, ctx) {
    if (command.type !== 'AddKey') return reject(400, 'unknown_command', 'signing keys only know AddKey');
    const { kid } = command.key;
    if (state.keys.some((k) => k.kid === kid)) return reject(409, 'key_exists', `key ${kid} already exists`);
    return accept(
      [{ type: 'SigningKeyAdded', key: { ...command.key, createdAt: ctx.now }, by: ctx.cause, at: ctx.now }],
      { kid },
    );
  },
  evolve: (state, e) => ({ keys: [...state.keys, e.key].slice(-KEYS_KEPT) }),
  live: false,
};
