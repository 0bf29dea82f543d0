import { Type } from '@sinclair/typebox';
import { ApiError, errors } from '../../protocol/errors.ts';
import { needs } from '../../protocol/permissions.ts';
import {
  AuditPage,
  AuditQuery,
  CreateStaffBody,
  KeyRotated,
  LoginBody,
  LoginReply,
  MfaBody,
  MfaConfirmBody,
  MfaEnrolReply,
  MfaPolicy,
  Session,
  SessionUser,
  SetupBody,
  SetupState,
  StaffList,
  StaffView,
  UpdateStaffBody,
} from '../../protocol/staff.ts';
import { type HttpReply, type RequestContext, type Route, route } from '../http/route.ts';
import { causeOf, refusal } from '../http/routes/context.ts';
import { type IssuedSession, REFRESH_COOKIE, REFRESH_TTL_MS, type StaffAccess } from './access.ts';
import { AUDIT_CSV_LIMIT, AUDIT_DEFAULT_LIMIT, type AuditLog, auditCsv } from './audit.ts';
import type { KeyRing } from './tokens.ts';

// First-run setup, logins and sessions, the caller's own 2FA, staff administration, security
// settings, the signing keys and the audit log.

const AUTH_PATH = '/api/v1/auth';
const AUDIT_JSON_MAX = 1000;

export interface StaffRouteDeps {
  access: StaffAccess;
  keys: KeyRing;
  audit: AuditLog;
}

/** The refresh-token cookie: HttpOnly, SameSite=Strict, sent only to /api/v1/auth. */
function refreshCookie(req: RequestContext, value: string, maxAgeMs: number): string {
  const secure = req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
  return `${REFRESH_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=${AUTH_PATH}; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure}`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sessionReply(req: RequestContext, issued: IssuedSession): HttpReply {
  return {
    status: 200,
    body: issued.session,
    headers: {
      'Set-Cookie': refreshCookie(req, issued.refreshToken, REFRESH_TTL_MS),
      'Cache-Control': 'no-store',
    },
  };
}

/** An instant given as ms since the epoch or as an ISO date. */
function instant(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) {
    throw errors.validation(`${name} must be ms since the epoch or an ISO date`, [
      { path: `/${name}`, message: 'not an instant' },
    ]);
  }
  return t;
}

const locked = refusal('account_locked (Retry-After says when to try again)');

export function staffRoutes({ access, keys, audit }: StaffRouteDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/setup',
      summary: 'Whether the first admin still has to be created (the setup screen)',
      tags: ['staff'],
      auth: 'public',
      responses: { 200: SetupState },
      handler: () => ({ status: 200, body: { needsAdmin: access.needsAdmin() } }),
    }),

    route({
      method: 'POST',
      path: '/api/v1/setup',
      summary: 'Create the first admin; only while there is no admin',
      tags: ['staff'],
      auth: 'public',
      body: SetupBody,
      responses: { 201: StaffView, 409: refusal('setup_done, username_taken') },
      handler: async (req) => {
        const user = await access.setup(req.body.username, req.body.password, req.ip);
        req.log.info({ userId: user.id, username: user.username, ip: req.ip }, 'first admin created');
        return { status: 201, body: { id: user.id, username: user.username, roles: user.roles } };
      },
    }),

    route({
      method: 'POST',
      path: `${AUTH_PATH}/login`,
      summary: 'Log in with username and password',
      description:
        'Answers a session (and sets the HttpOnly refresh cookie), or asks for the 2FA code (mfaRequired), or for enrolment in 2FA when an admin requires it for the user’s role (mfaEnrolRequired); both continue at POST /api/v1/auth/mfa. Repeated failures slow down, then lock the user for a while.',
      tags: ['auth'],
      auth: 'public',
      body: LoginBody,
      responses: {
        200: LoginReply,
        401: refusal('invalid_credentials'),
        403: refusal('user_disabled'),
        423: locked,
      },
      handler: async (req) => {
        const outcome = await access.login(req.body.username, req.body.password, req.ip);
        if (outcome.kind === 'mfa')
          return { status: 200, body: outcome.reply, headers: { 'Cache-Control': 'no-store' } };
        req.log.info({ userId: outcome.issued.session.user.id, ip: req.ip }, 'logged in');
        return sessionReply(req, outcome.issued);
      },
    }),

    route({
      method: 'POST',
      path: `${AUTH_PATH}/mfa`,
      summary: 'The 2FA code after the password (or the first code of an enrolment)',
      tags: ['auth'],
      auth: 'public',
      body: MfaBody,
      responses: {
        200: Session,
        401: refusal('invalid_mfa_code, invalid_mfa_token'),
        403: refusal('user_disabled'),
        423: locked,
      },
      handler: async (req) => {
        const issued = await access.mfa(req.body.mfaToken, req.body.code, req.ip);
        req.log.info({ userId: issued.session.user.id, ip: req.ip }, 'logged in with 2FA');
        return sessionReply(req, issued);
      },
    }),

    route({
      method: 'POST',
      path: `${AUTH_PATH}/refresh`,
      summary: 'A new access token from the refresh cookie (which is rotated)',
      description:
        'A refresh token already rotated away ends the whole session (401 refresh_token_reused): someone copied it.',
      tags: ['auth'],
      auth: 'public',
      responses: {
        200: Session,
        401: refusal('invalid_refresh_token, refresh_token_reused'),
      },
      handler: async (req) => {
        try {
          return sessionReply(
            req,
            await access.refresh(cookieValue(req.headers.cookie, REFRESH_COOKIE), req.ip),
          );
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) {
            throw new ApiError(error.status, error.code, error.message, error.details, {
              ...error.headers,
              'Set-Cookie': refreshCookie(req, '', 0),
            });
          }
          throw error;
        }
      },
    }),

    route({
      method: 'POST',
      path: `${AUTH_PATH}/logout`,
      summary: 'End the session of the refresh cookie and clear it',
      tags: ['auth'],
      auth: 'public',
      responses: { 204: { description: 'Logged out (also when there was no session)' } },
      handler: async (req) => {
        await access.logout(cookieValue(req.headers.cookie, REFRESH_COOKIE), req.ip);
        return { status: 204, headers: { 'Set-Cookie': refreshCookie(req, '', 0) } };
      },
    }),

    route({
      method: 'POST',
      path: `${AUTH_PATH}/keys/rotate`,
      summary: 'Make a new signing key; tokens signed with the old one stay valid until they expire',
      tags: ['auth'],
      auth: needs('security.manage'),
      responses: { 200: KeyRotated },
      handler: async (req) => ({ status: 200, body: { kid: await access.rotateKeys(causeOf(req)) } }),
    }),

    route({
      method: 'GET',
      path: '/.well-known/jwks.json',
      summary: 'The public keys access tokens are signed with (JWK set)',
      tags: ['auth'],
      auth: 'public',
      responses: { 200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }) },
      handler: () => ({ status: 200, body: keys.jwks(), headers: { 'Cache-Control': 'public, max-age=60' } }),
    }),

    route({
      method: 'GET',
      path: '/api/v1/me',
      summary: 'Who is logged in, with the permissions of their roles',
      tags: ['auth'],
      auth: 'authenticated',
      responses: { 200: SessionUser },
      handler: (req) => ({ status: 200, body: access.sessionUserOf(req.principal!) }),
    }),

    route({
      method: 'POST',
      path: '/api/v1/me/mfa/enrol',
      summary: 'Start 2FA enrolment: a new secret as a QR code, active once a code confirms it',
      tags: ['auth'],
      auth: 'authenticated',
      responses: { 200: MfaEnrolReply, 409: refusal('mfa_already_enabled') },
      handler: async (req) => ({ status: 200, body: await access.startEnrol(req.principal!, req.ip) }),
    }),

    route({
      method: 'POST',
      path: '/api/v1/me/mfa/confirm',
      summary: 'Confirm 2FA enrolment with the first code',
      tags: ['auth'],
      auth: 'authenticated',
      body: MfaConfirmBody,
      responses: {
        204: { description: '2FA is on' },
        409: refusal('mfa_not_pending'),
        422: refusal('invalid_mfa_code'),
      },
      handler: async (req) => {
        await access.confirmEnrol(req.principal!, req.body.code, req.ip);
        return { status: 204 };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/staff',
      summary: 'Staff users',
      tags: ['staff'],
      auth: needs('staff.read'),
      responses: { 200: StaffList },
      handler: () => ({ status: 200, body: { items: access.roster.list() } }),
    }),

    route({
      method: 'POST',
      path: '/api/v1/staff',
      summary: 'Create a staff user',
      tags: ['staff'],
      auth: needs('staff.write'),
      body: CreateStaffBody,
      responses: { 201: StaffView, 409: refusal('username_taken') },
      handler: async (req) => {
        const { username, password, roles } = req.body;
        const user = await access.createUser(username, password, roles, causeOf(req));
        return { status: 201, body: user, headers: { Location: `/api/v1/staff/${user.id}` } };
      },
    }),

    route({
      method: 'PUT',
      path: '/api/v1/staff/:id',
      summary: 'Change a staff user’s roles, disable or enable it, set its password, reset its 2FA',
      description: 'Disabling or a new password ends the user’s sessions at once.',
      tags: ['staff'],
      auth: needs('staff.write'),
      body: UpdateStaffBody,
      responses: {
        200: StaffView,
        404: refusal('user_not_found'),
        409: refusal('last_admin: the only admin that can log in would be disabled or demoted'),
      },
      handler: async (req) => ({
        status: 200,
        body: await access.updateUser(req.params.id!, req.body, causeOf(req)),
      }),
    }),

    route({
      method: 'GET',
      path: '/api/v1/security/mfa-policy',
      summary: 'Which roles must use 2FA',
      tags: ['staff'],
      auth: needs('staff.read'),
      responses: { 200: MfaPolicy },
      handler: async () => ({ status: 200, body: { requiredRoles: await access.mfaPolicy() } }),
    }),

    route({
      method: 'PUT',
      path: '/api/v1/security/mfa-policy',
      summary: 'Require 2FA for roles; users without it enrol at their next login',
      tags: ['staff'],
      auth: needs('security.manage'),
      body: MfaPolicy,
      responses: { 200: MfaPolicy },
      handler: async (req) => ({
        status: 200,
        body: { requiredRoles: await access.setMfaPolicy(req.body.requiredRoles, causeOf(req)) },
      }),
    }),

    route({
      method: 'GET',
      path: '/api/v1/audit',
      summary: 'The audit log: who did what, when, from where; newest first',
      description:
        'Filters by user, action, object and time; `Accept: text/csv` exports the matching entries as CSV (up to 100,000).',
      tags: ['staff'],
      auth: needs('audit.read'),
      query: AuditQuery,
      responses: { 200: AuditPage },
      handler: async (req) => {
        const q = req.queryValues;
        const csv = (req.headers.accept ?? '').includes('text/csv');
        const limit = q.limit ?? (csv ? AUDIT_CSV_LIMIT : AUDIT_DEFAULT_LIMIT);
        const page = await audit.query({
          user: q.user,
          action: q.action,
          object: q.object,
          from: instant(q.from, 'from'),
          to: instant(q.to, 'to'),
          limit: csv ? Math.min(limit, AUDIT_CSV_LIMIT) : Math.min(limit, AUDIT_JSON_MAX),
          before: q.cursor === undefined ? undefined : Number(q.cursor),
        });
        if (!csv) return { status: 200, body: page };
        const headers: Record<string, string> = {
          'Content-Disposition': `attachment; filename="abonent-audit.csv"`,
          'Cache-Control': 'no-store',
        };
        if (page.nextCursor) headers['X-Next-Cursor'] = page.nextCursor;
        return { status: 200, body: auditCsv(page.items), contentType: 'text/csv; charset=utf-8', headers };
      },
    }),
  ];
}
