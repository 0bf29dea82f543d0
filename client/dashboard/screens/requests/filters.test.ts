import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setLocale } from '../../i18n/i18n.ts';
import { age, matches, newer } from './filters.ts';

// The board's search finds a request by any piece of name, address or phone, however the
// phone is typed; a card's age reads as people say it; a late reply never steps a card back.

const r = { name: 'Мария Кузнецова', phone: '+79161234567', address: 'ул. Ленина, 10, кв. 5' };

test('search: name and address in any case, the phone however it is typed', () => {
  for (const q of [
    '',
    '  ',
    'мария',
    'КУЗНЕЦ',
    'ленина, 10',
    '916',
    '+7 (916) 123-45',
    '916 123 45 67',
    '79161234567',
  ])
    assert.ok(matches(r, q), JSON.stringify(q));
  for (const q of ['Петров', '916 999', 'ул. Мира', '+7 (903)'])
    assert.not.ok(matches(r, q), JSON.stringify(q));
});

test('age: just now, minutes, hours up to two days, then days', () => {
  setLocale('en');
  const now = Date.UTC(2026, 11, 3, 12);
  assert.is(age(now - 30_000, now), 'just now');
  assert.is(age(now + 5_000, now), 'just now');
  assert.is(age(now - 5 * 60_000, now), '5 min ago');
  assert.is(age(now - 3 * 3_600_000, now), '3 h ago');
  assert.is(age(now - 47 * 3_600_000, now), '47 h ago');
  assert.is(age(now - 5 * 86_400_000, now), '5 d ago');
  setLocale('ru');
  assert.is(age(now - 5 * 60_000, now), '5 мин назад');
});

test('newer: a later update wins; an older reply is dropped; same instant, longer history wins', () => {
  const at = (updatedAt: number, events: number) => ({ updatedAt, history: new Array(events).fill(null) });
  assert.ok(newer(undefined, at(1, 1)));
  assert.ok(newer(at(1, 1), at(2, 2)));
  assert.not.ok(newer(at(2, 2), at(1, 1)));
  assert.ok(newer(at(2, 2), at(2, 3)));
  assert.not.ok(newer(at(2, 3), at(2, 2)));
  assert.ok(newer(at(2, 2), at(2, 2)), 'the same state again is taken (no harm)');
});

test.run();
