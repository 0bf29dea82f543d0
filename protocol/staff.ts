import { type Static, Type } from '@sinclair/typebox';
import { ROLES } from './roles.ts';

// Staff users, logins and the audit log as they cross the wire: the HTTP bodies of
// /api/v1/setup, /auth, /me, /staff, /security and /audit. Instants are milliseconds since
// the epoch, as everywhere in /api/v1.

export const Role = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { $id: 'Role', description: 'a staff role; see the permission matrix in the README' },
);
export type Role = Static<typeof Role>;

export const Roles = Type.Array(Role, { minItems: 1, maxItems: ROLES.length, uniqueItems: true });

/** Lower-case on the way in; 2 to 64 characters of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit. */
export const Username = Type.String({
  minLength: 2,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'case-insensitive (stored lower-case)',
});

export const MIN_PASSWORD_LENGTH = 10;
export const Password = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: 256,
  description: `at least ${MIN_PASSWORD_LENGTH} characters`,
});

export const TotpCode = Type.String({ pattern: '^[0-9]{6}$', description: 'the 6 digits the app shows' });

// ---------------------------------------------------------------- setup

export const SetupState = Type.Object({
  needsAdmin: Type.Boolean({ description: 'true until the first admin exists: show the setup screen' }),
});

export const SetupBody = Type.Object(
  { username: Username, password: Password },
  { additionalProperties: false },
);

// ---------------------------------------------------------------- sessions

export const SessionUser = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    roles: Type.Array(Role),
    permissions: Type.Array(Type.String(), { description: 'what the roles allow, sorted' }),
    mfaEnabled: Type.Boolean(),
  },
  { $id: 'SessionUser' },
);
export type SessionUser = Static<typeof SessionUser>;

export const Session = Type.Object(
  {
    accessToken: Type.String({ description: 'a short-lived JWT: send as Authorization: Bearer' }),
    expiresAt: Type.Integer({ description: 'when the access token expires (ms since the epoch)' }),
    user: SessionUser,
  },
  { $id: 'Session' },
);
export type Session = Static<typeof Session>;

export const MfaChallenge = Type.Object({
  mfaRequired: Type.Literal(true),
  mfaToken: Type.String({ description: 'send back with the code to POST /api/v1/auth/mfa' }),
});

export const MfaEnrolment = Type.Object({
  mfaEnrolRequired: Type.Literal(true),
  mfaToken: Type.String(),
  otpauthUrl: Type.String({ description: 'otpauth://totp/… for authenticator apps' }),
  qrSvg: Type.String({ description: 'the same URL as an SVG QR code' }),
});

export const LoginReply = Type.Union([Session, MfaChallenge, MfaEnrolment]);
export type LoginReply = Static<typeof LoginReply>;

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const MfaBody = Type.Object(
  { mfaToken: Type.String({ minLength: 1, maxLength: 4096 }), code: TotpCode },
  { additionalProperties: false },
);

export const MfaEnrolReply = Type.Object({
  otpauthUrl: Type.String(),
  qrSvg: Type.String(),
  secretPending: Type.String({
    description: 'the new secret in base32, for typing into an app that cannot scan; active once confirmed',
  }),
});

export const MfaConfirmBody = Type.Object({ code: TotpCode }, { additionalProperties: false });

export const KeyRotated = Type.Object({ kid: Type.String({ description: 'the key id new tokens carry' }) });

// ---------------------------------------------------------------- staff

export const StaffView = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    roles: Type.Array(Role),
    disabled: Type.Boolean(),
    mfaEnabled: Type.Boolean(),
    createdAt: Type.Integer(),
  },
  { $id: 'StaffView' },
);
export type StaffView = Static<typeof StaffView>;

export const StaffList = Type.Object({ items: Type.Array(StaffView) });

export const CreateStaffBody = Type.Object(
  { username: Username, password: Password, roles: Roles },
  { additionalProperties: false },
);

export const UpdateStaffBody = Type.Object(
  {
    roles: Type.Optional(Roles),
    disabled: Type.Optional(Type.Boolean({ description: 'a disabled user cannot log in; its sessions end' })),
    password: Type.Optional(Password),
    resetMfa: Type.Optional(
      Type.Literal(true, {
        description: 'remove the user’s 2FA (a lost phone); enrolled again at next login',
      }),
    ),
  },
  { additionalProperties: false },
);

export const MfaPolicy = Type.Object(
  {
    requiredRoles: Type.Array(Role, {
      uniqueItems: true,
      description:
        'users holding any of these roles must use 2FA; those without it enrol at their next login',
    }),
  },
  { additionalProperties: false },
);
export type MfaPolicy = Static<typeof MfaPolicy>;

// ---------------------------------------------------------------- audit

export const AuditItem = Type.Object(
  {
    position: Type.Integer({ description: 'global journal position' }),
    at: Type.Integer(),
    user: Type.Union([Type.String(), Type.Null()], {
      description: 'the staff username (or `bootstrap` for the bootstrap token)',
    }),
    ip: Type.Union([Type.String(), Type.Null()]),
    action: Type.String({ description: '`<kind>.<event>`, e.g. account.ToppedUp, staff-user.LoginFailed' }),
    object: Type.Union([Type.String(), Type.Null()], { description: '`<kind>:<id>`, e.g. account:100001' }),
    details: Type.Unknown({ description: 'the event without its secrets' }),
  },
  { $id: 'AuditItem' },
);
export type AuditItem = Static<typeof AuditItem>;

export const AuditPage = Type.Object({
  items: Type.Array(AuditItem, { description: 'newest first' }),
  nextCursor: Type.Optional(Type.String({ description: 'pass as `cursor` for the next (older) page' })),
});
export type AuditPage = Static<typeof AuditPage>;

export const AuditQuery = Type.Object({
  user: Type.Optional(Type.String({ maxLength: 128, description: 'username or user id' })),
  action: Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'account.ToppedUp, or ToppedUp (any kind), or a prefix ending in * (account.*)',
    }),
  ),
  object: Type.Optional(
    Type.String({ maxLength: 200, description: 'account:100001, or 100001, or a prefix ending in *' }),
  ),
  from: Type.Optional(
    Type.String({ maxLength: 40, description: 'ms since the epoch or an ISO date; inclusive' }),
  ),
  to: Type.Optional(
    Type.String({ maxLength: 40, description: 'ms since the epoch or an ISO date; exclusive' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })),
});
export type AuditQuery = Static<typeof AuditQuery>;
