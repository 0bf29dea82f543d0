import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeJson } from './checkpoint.ts';

// The sliced serializer writes exactly what JSON.stringify writes, whatever the value, and
// lets the event loop turn between slices of a long array.

async function sliced(value: unknown): Promise<{ text: string; pieces: number }> {
  const pieces: string[] = [];
  await writeJson(value, (piece) => pieces.push(piece));
  return { text: pieces.join(''), pieces: pieces.length };
}

test('the same text as JSON.stringify, for any JSON value and for undefined inside one', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.jsonValue(), fc.anything({ withNullPrototype: false, withMap: false, withSet: false })),
      async (value) => {
        assert.is((await sliced(value)).text, JSON.stringify(value) ?? 'null');
      },
    ),
    { numRuns: 500 },
  );
});

test('long arrays deep in the value, sliced, with turns of the event loop between the slices', async () => {
  const rows = Array.from({ length: 12_345 }, (_, i) => [
    `A${i}`,
    i % 3 === 0 ? null : i * 7,
    'Иванов "Пётр"',
    [],
  ]);
  const value = { versions: [1, 2], states: [{ rows, subscribers: [] }, { ids: rows.map((r) => r[0]) }] };
  const { text, pieces } = await sliced(value);
  assert.is(text, JSON.stringify(value));
  assert.ok(pieces > 10);
  const immediate = await new Promise<number>((resolve) => {
    let seen = 0;
    const tick = () => {
      seen++;
      if (seen < 1000) setImmediate(tick);
    };
    setImmediate(tick);
    void writeJson(rows, () => {}).then(() => resolve(seen));
  });
  assert.ok(immediate >= 2, `the event loop turned ${immediate} times during the save`);
});

test.run();
