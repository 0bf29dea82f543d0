import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from './log.ts';
import { loadSecretKey, SecretKeyMismatch, secretBox } from './secrets.ts';

const silent = createLogger('silent');

test('sealed secrets open with the same key and context only', () => {
  const box = secretBox(Buffer.alloc(32, 1));
  const sealed = box.seal('JBSWY3DPEHPK3PXP', 'staff-user:u1:totp');
  assert.not.ok(sealed.includes('JBSWY3DPEHPK3PXP'));
  assert.is(box.open(sealed, 'staff-user:u1:totp'), 'JBSWY3DPEHPK3PXP');
  assert.is.not(box.seal('x', 'c'), box.seal('x', 'c'), 'a fresh IV every time');
  assert.throws(() => box.open(sealed, 'staff-user:u2:totp'), 'another context');
  const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
  assert.throws(() => box.open(tampered, 'staff-user:u1:totp'), 'tampered ciphertext');
  const other = secretBox(Buffer.alloc(32, 2));
  assert.throws(
    () => other.open(sealed, 'staff-user:u1:totp'),
    (e: Error) => e instanceof SecretKeyMismatch,
  );
});

test('without ABONENT_SECRET_KEY a key is generated into DATA_DIR/secret.key once, mode 0600', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-secret-'));
  try {
    const lines: string[] = [];
    const log = createLogger('warn', { write: (line: string) => lines.push(line) });
    const first = loadSecretKey({ secretKey: undefined, dataDir }, log);
    assert.is(first.length, 32);
    assert.is(statSync(join(dataDir, 'secret.key')).mode & 0o777, 0o600);
    assert.ok(
      lines.some((l) => l.includes('generated')),
      'it warns',
    );
    assert.not.ok(lines.join('').includes(first.toString('hex')), 'the key is never logged');
    const again = loadSecretKey({ secretKey: undefined, dataDir }, silent);
    assert.ok(again.equals(first), 'the same key on the next start');
    assert.is(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim(), first.toString('hex'));
    const given = loadSecretKey({ secretKey: 'ab'.repeat(32), dataDir }, silent);
    assert.is(given.toString('hex'), 'ab'.repeat(32), 'the variable wins over the file');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
