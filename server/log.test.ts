import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from './log.ts';

function capture(level: Parameters<typeof createLogger>[0] = 'info') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger(level, sink), lines };
}

test('JSON lines with level, time and message', () => {
  const { log, lines } = capture();
  log.info({ account: '42' }, 'charged');
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.is(line.msg, 'charged');
  assert.is(line.account, '42');
  assert.is(line.level, 30);
  assert.type(line.time, 'string');
});

test('authorization, password and token are redacted wherever a caller logs them', () => {
  const { log, lines } = capture();
  log.warn(
    {
      authorization: 'Bearer s3cr3t-a',
      password: 's3cr3t-b',
      token: 's3cr3t-c',
      headers: { authorization: 'Bearer s3cr3t-d' },
      router: { password: 's3cr3t-e' },
      req: { headers: { authorization: 'Bearer s3cr3t-f' } },
    },
    'something',
  );
  assert.not.match(lines.join(''), /s3cr3t/);
  assert.match(lines.join(''), /\[redacted\]/);
});

test('the level comes from config', () => {
  const { log, lines } = capture('warn');
  log.info('hidden');
  log.warn('shown');
  assert.is(lines.length, 1);
});

test.run();
