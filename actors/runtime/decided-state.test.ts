import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSqliteJournal } from '../journal/sqlite.ts';
import { type ActorKind, accept } from './kind.ts';
import { ActorSystem } from './system.ts';

// A decide that folded its own events (a draft) hands the state over with the decision, and
// the runtime keeps it instead of folding the events a second time; recovery still folds
// them with evolve, so both must agree.

interface Counter {
  total: number;
  folds: number;
}
type Add = { type: 'add'; n: number };
type Added = { type: 'added'; n: number };

let evolveCalls = 0;
const evolve = (s: Counter, e: Added): Counter => {
  evolveCalls++;
  return { total: s.total + e.n, folds: s.folds + 1 };
};

const drafting: ActorKind<Counter, Add, Added, number> = {
  name: 'drafting',
  initial: () => ({ total: 0, folds: 0 }),
  decide(state, command) {
    const events: Added[] = [
      { type: 'added', n: command.n },
      { type: 'added', n: command.n },
    ];
    let next = state;
    for (const e of events) next = evolve(next, e);
    return accept(events, next.total, next);
  },
  evolve,
};

test('the runtime keeps the state decide folded; recovery folds the journal to the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abonent-drafting-'));
  const file = join(dir, 'journal.sqlite');
  const log = pino({ level: 'silent' });
  const start = async () => {
    const journal = await openSqliteJournal({ file });
    const system = new ActorSystem({ journal, log }).register(drafting);
    await system.start();
    return { journal, system };
  };
  try {
    let { journal, system } = await start();
    evolveCalls = 0;
    assert.is(await system.ask(drafting, 'a', { type: 'add', n: 5 }), 10);
    assert.is(await system.ask(drafting, 'a', { type: 'add', n: 1 }), 12);
    assert.is(evolveCalls, 4, 'only decide folded the four events');
    const live = await system.read(drafting, 'a', (s) => s);
    assert.equal(live, { total: 12, folds: 4 });
    await system.stop();
    await journal.close();

    ({ journal, system } = await start());
    assert.equal(await system.read(drafting, 'a', (s) => s), live);
    await system.stop();
    await journal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
