import { type Authenticator, bearer, type Principal } from '../http/auth.ts';
import { type StaffAccess, unauthorizedToken } from './access.ts';
import { ACCESS_AUDIENCE, type KeyRing, TokenError } from './tokens.ts';

// Staff access tokens as bearer tokens: a JWT signed by one of our keys, for our audience, not
// expired, whose user exists, is not disabled (401 user_disabled) and still holds the session
// the token was issued for (logout ends it at once). Permissions come from the user's roles as
// they are now, not as they were when the token was signed.

/** A JWS in compact form: three base64url parts, the header starting `{"` (eyJ). */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function jwtAuthenticator(keys: KeyRing, access: StaffAccess): Authenticator {
  return {
    name: 'staff-jwt',
    async authenticate({ authorization }) {
      const token = bearer(authorization);
      if (token === null || !JWT_SHAPE.test(token)) return null;
      return principalOfToken(keys, access, token);
    },
  };
}

/** For sockets too: the principal of an access token, or a 401 ApiError. */
export async function principalOfToken(
  keys: KeyRing,
  access: StaffAccess,
  token: string,
): Promise<Principal> {
  let claims: { sub?: string; sid?: unknown };
  try {
    claims = await keys.verify(token, ACCESS_AUDIENCE);
  } catch (error) {
    if (error instanceof TokenError) {
      throw unauthorizedToken(
        error.reason === 'expired' ? 'the access token has expired' : 'the access token is not valid',
      );
    }
    throw error;
  }
  return access.principalOf(claims);
}
