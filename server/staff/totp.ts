import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

// TOTP 2FA (RFC 6238, as every authenticator app speaks it: SHA-1, 6 digits, 30 s) over
// otpauth; the enrolment QR code is an SVG from qrcode. A code is accepted one step early or
// late (clock drift); the step it matched is returned so the user actor can refuse it a
// second time.

const ISSUER = 'Abonent';
const PERIOD_S = 30;
const WINDOW = 1;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, username: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: username,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_S,
    secret: Secret.fromBase32(secretBase32),
  });
}

export function otpauthUrl(secretBase32: string, username: string): string {
  return totp(secretBase32, username).toString();
}

export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The TOTP time step `code` matches at `now`, or null. */
export function matchCode(secretBase32: string, code: string, now: number): number | null {
  const delta = totp(secretBase32, '').validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_S) + delta;
}

/** The code an app would show at `now` (tests, and the enrolment screen's self-check). */
export function codeAt(secretBase32: string, now: number): string {
  return totp(secretBase32, '').generate({ timestamp: now });
}
