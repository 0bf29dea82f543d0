import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { en, type Key, ru } from './dict.ts';
import { money, moneyInput, parseMoney, setLocale, t } from './i18n.ts';

// Money is kopecks in and out; what people type is parsed as text, never through floats.

test('amounts as people type them become kopecks', () => {
  const cases: [string, number | null][] = [
    ['150', 15_000],
    ['150,5', 15_050],
    ['150.50', 15_050],
    ['0,01', 1],
    ['1 500,50', 150_050],
    ['1\u00a0500,50 ₽', 150_050],
    ['-2 500', -250_000],
    ['+7', 700],
    ['0.1', 10],
    ['1,005', null],
    ['1.2.3', null],
    ['', null],
    ['abc', null],
    ['12e3', null],
  ];
  for (const [input, kopecks] of cases) assert.is(parseMoney(input), kopecks, JSON.stringify(input));
});

test('kopecks are shown as roubles in either language, and round-trip through the input', () => {
  setLocale('ru');
  assert.is(money(150_050).replace(/\s/g, ' '), '1 500,50 ₽');
  assert.is(money(-5).replace(/\s/g, ' '), '-0,05 ₽');
  assert.is(parseMoney(moneyInput(-150_050)), -150_050);
  setLocale('en');
  assert.match(money(150_050), /1,500\.50/);
  assert.is(parseMoney(moneyInput(123_456_789)), 123_456_789);
  setLocale('ru');
});

test('both dictionaries have the same placeholders for every key', () => {
  const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(ru) as Key[]) {
    assert.ok(en[key]?.trim(), `en has ${key}`);
    assert.equal(names(en[key]), names(ru[key]), key);
  }
  assert.equal(Object.keys(en).sort(), Object.keys(ru).sort());
});

test('t fills placeholders and follows the language switch', () => {
  setLocale('en');
  assert.is(t('accounts.found', { count: 3 }), 'Found: 3');
  setLocale('ru');
  assert.is(t('accounts.found', { count: 3 }), 'Найдено: 3');
});

test.run();
