import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HotHistogram } from './hot-histogram.ts';

// The hot-path histogram must read at /metrics exactly as a prom-client histogram would.

test('buckets are cumulative, with +Inf, sum and count per label set', async () => {
  const registry = new Registry();
  const h = new HotHistogram({
    name: 'test_seconds',
    help: 'A test',
    labelNames: ['route', 'status'],
    buckets: [1, 0.1, 0.5],
    registers: [registry],
  });
  const ok = h.add('ok', ['/a', 201]);
  for (const v of [0.05, 0.1, 0.3, 0.7, 3]) ok.observe(v);
  assert.is(h.series('ok'), ok);
  assert.is(h.series('other'), undefined);
  h.add('bad', ['/a', 409]).observe(0.2);
  // Not a number: not counted (prom-client would throw on a hot path).
  ok.observe(Number.NaN);

  const text = await registry.metrics();
  const lines = text.split('\n');
  for (const line of [
    '# HELP test_seconds A test',
    '# TYPE test_seconds histogram',
    'test_seconds_bucket{le="0.1",route="/a",status="201"} 2',
    'test_seconds_bucket{le="0.5",route="/a",status="201"} 3',
    'test_seconds_bucket{le="1",route="/a",status="201"} 4',
    'test_seconds_bucket{le="+Inf",route="/a",status="201"} 5',
    'test_seconds_sum{route="/a",status="201"} 4.15',
    'test_seconds_count{route="/a",status="201"} 5',
    'test_seconds_bucket{le="0.1",route="/a",status="409"} 0',
    'test_seconds_bucket{le="0.5",route="/a",status="409"} 1',
    'test_seconds_count{route="/a",status="409"} 1',
  ]) {
    assert.ok(lines.includes(line), `${line}\nin\n${text}`);
  }

  registry.resetMetrics();
  assert.is(h.series('ok'), undefined);
});

test.run();
