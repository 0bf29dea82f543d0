import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lifecycle } from './lifecycle.ts';
import { createLogger } from './log.ts';

const log = createLogger('silent');

test('closers run one after another in the order added; exit code 0', async () => {
  const order: string[] = [];
  const life = new Lifecycle(log, 1000);
  for (const name of ['http', 'actors', 'bus', 'journal']) {
    life.add(name, async () => {
      order.push(`${name}:start`);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`${name}:end`);
    });
  }
  assert.is(await life.shutdown('test'), 0);
  assert.equal(order, [
    'http:start',
    'http:end',
    'actors:start',
    'actors:end',
    'bus:start',
    'bus:end',
    'journal:start',
    'journal:end',
  ]);
});

test('a failing closer does not stop the later ones, but the exit code is 1', async () => {
  const closed: string[] = [];
  const life = new Lifecycle(log, 1000);
  life.add('http', () => {
    throw new Error('boom');
  });
  life.add('journal', () => {
    closed.push('journal');
  });
  assert.is(await life.shutdown('test'), 1);
  assert.equal(closed, ['journal']);
});

test('running out of time gives exit code 1', async () => {
  const life = new Lifecycle(log, 50);
  life.add('stuck', () => new Promise(() => {}));
  const started = Date.now();
  assert.is(await life.shutdown('test'), 1);
  assert.ok(Date.now() - started < 1000);
});

test('shutdown runs once however often it is asked', async () => {
  let runs = 0;
  const life = new Lifecycle(log, 1000);
  life.add('x', () => {
    runs++;
  });
  const [a, b] = await Promise.all([life.shutdown('one'), life.shutdown('two')]);
  assert.is(a, 0);
  assert.is(b, 0);
  assert.is(runs, 1);
  assert.ok(life.isStopping);
});

test.run();
