// The staff-side API. The shapes are the server's own (protocol/staff.ts, protocol/dashboard.ts,
// protocol/money.ts), imported as types only, so nothing of TypeBox reaches the bundle.

import type { DirectoryPage, DirectoryRow, KpiHourly } from '../../../protocol/dashboard.ts';
import type { SessionUser } from '../../../protocol/staff.ts';

export type { Role } from '../../../protocol/roles.ts';
export { ROLES } from '../../../protocol/roles.ts';
export type {
  AuditItem as AuditEntry,
  AuditPage,
  LoginReply,
  Session,
  StaffView as StaffMember,
} from '../../../protocol/staff.ts';
export type { DirectoryPage, DirectoryRow };
export type StaffUser = SessionUser;
export type HourlyPoint = KpiHourly['hours'][number];

/** protocol/staff.ts MIN_PASSWORD_LENGTH (that module builds TypeBox schemas, too heavy for the bundle). */
export const MIN_PASSWORD_LENGTH = 10;

export interface MfaEnrolment {
  otpauthUrl: string;
  qrSvg: string;
  /** The secret in base32, for apps that cannot scan (only from /me/mfa/enrol). */
  secretPending?: string;
}

export function expiryMs(expiresAt: number | string): number {
  if (typeof expiresAt === 'string') {
    const n = Number(expiresAt);
    return Number.isFinite(n) ? expiryMs(n) : Date.parse(expiresAt);
  }
  // Seconds (JWT style) are far below any millisecond timestamp of this century.
  return expiresAt < 1e11 ? expiresAt * 1000 : expiresAt;
}

export function instantMs(at: number | string): number {
  return typeof at === 'number' ? at : Date.parse(at);
}
