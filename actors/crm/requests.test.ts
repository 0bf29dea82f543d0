import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, staff } from '../testkit/harness.ts';
import { type Connection, listRequests, REQUESTS_ID, type RequestCommand, requestsKind } from './requests.ts';

// The board of connection requests without a runtime: every transition, the refusals, the
// history, and connecting recorded once.

const T0 = Date.UTC(2026, 3, 1, 9);
const fields = { name: 'Иван Петров', phone: '+79991234567', address: 'Ленина 1, кв. 2' };
const connection: Connection = { subscriberId: 'S1', accountId: '100001', serviceId: 'SV1', tariffId: 'T1' };

function board() {
  const h = new Harness(requestsKind, REQUESTS_ID, T0, staff);
  const ok = (command: RequestCommand) => {
    const out = h.send(command);
    if (!out.ok) throw new Error(`${out.error.code}: ${out.error.message}`);
    return out;
  };
  const code = (command: RequestCommand) => {
    const out = h.send(command);
    return out.ok ? 'accepted' : out.error.code;
  };
  return { h, ok, code };
}

const test = suite('connection requests');

test('new → assigned → scheduled → connected, each step in the history with who and when', () => {
  const { h, ok } = board();
  const submitted = ok({ type: 'Submit', source: 'form', fields: { ...fields, tariffId: 'T1' } });
  assert.equal([submitted.reply.id, submitted.reply.status], ['R1', 'new']);
  h.now += 60_000;
  assert.is(ok({ type: 'Assign', requestId: 'R1', assignee: 'installer-7' }).reply.status, 'assigned');
  const at = Date.UTC(2026, 3, 3, 10);
  const scheduled = ok({ type: 'Schedule', requestId: 'R1', at, note: 'call first' }).reply;
  assert.equal([scheduled.status, scheduled.scheduledAt], ['scheduled', at]);
  const connected = ok({ type: 'MarkConnected', requestId: 'R1', connection }).reply;
  assert.equal([connected.status, connected.connection], ['connected', connection]);
  assert.equal(
    connected.history.map((e) => [e.what, e.status, e.by.id]),
    [
      ['submitted', 'new', 'cashier-1'],
      ['assigned', 'assigned', 'cashier-1'],
      ['scheduled', 'scheduled', 'cashier-1'],
      ['connected', 'connected', 'cashier-1'],
    ],
  );
  assert.is(connected.history[1]?.at, T0 + 60_000);
  assert.is(connected.history[1]?.detail, 'installer-7');
});

test('rejected from any open status, with the reason; closed requests move no more', () => {
  for (const steps of [[], ['assign'], ['assign', 'schedule']]) {
    const { ok, code } = board();
    ok({ type: 'Submit', source: 'telegram', fields });
    if (steps.includes('assign')) ok({ type: 'Assign', requestId: 'R1', assignee: 'a' });
    if (steps.includes('schedule')) ok({ type: 'Schedule', requestId: 'R1', at: T0 + 1 });
    const r = ok({ type: 'Reject', requestId: 'R1', reason: 'no coverage there' }).reply;
    assert.equal([r.status, r.rejection], ['rejected', 'no coverage there']);
    assert.is(code({ type: 'Assign', requestId: 'R1', assignee: 'b' }), 'request_closed');
    assert.is(code({ type: 'Reject', requestId: 'R1', reason: 'again' }), 'request_closed');
    assert.is(code({ type: 'MarkConnected', requestId: 'R1', connection }), 'request_closed');
  }
});

test('steps out of order are refused; comments go anywhere', () => {
  const { ok, code } = board();
  ok({ type: 'Submit', source: 'cabinet', fields });
  assert.is(code({ type: 'Schedule', requestId: 'R1', at: T0 }), 'invalid_transition');
  assert.is(code({ type: 'MarkConnected', requestId: 'R1', connection }), 'invalid_transition');
  ok({ type: 'Assign', requestId: 'R1', assignee: 'a' });
  assert.is(code({ type: 'MarkConnected', requestId: 'R1', connection }), 'invalid_transition');
  assert.is(code({ type: 'Assign', requestId: 'R9', assignee: 'a' }), 'request_not_found');
  const commented = ok({ type: 'Comment', requestId: 'R1', text: 'second floor' }).reply;
  assert.equal(
    commented.comments.map((c) => [c.text, c.by]),
    [['second floor', 'staff:cashier-1']],
  );
  // Reassigning keeps the status; the same assignee again changes nothing.
  assert.is(ok({ type: 'Assign', requestId: 'R1', assignee: 'b' }).reply.status, 'assigned');
  assert.equal(ok({ type: 'Assign', requestId: 'R1', assignee: 'b' }).events, []);
});

test('connected twice with the same result is one connection; with another, a conflict', () => {
  const { ok, code } = board();
  ok({ type: 'Submit', source: 'form', fields });
  ok({ type: 'Assign', requestId: 'R1', assignee: 'a' });
  ok({ type: 'Schedule', requestId: 'R1', at: T0 });
  ok({ type: 'MarkConnected', requestId: 'R1', connection });
  assert.equal(ok({ type: 'MarkConnected', requestId: 'R1', connection }).events, []);
  assert.is(
    code({ type: 'MarkConnected', requestId: 'R1', connection: { ...connection, accountId: '100002' } }),
    'request_closed',
  );
});

test('the board lists newest first, by status and assignee', () => {
  const { h, ok } = board();
  ok({ type: 'Submit', source: 'form', fields });
  h.now += 1000;
  ok({ type: 'Submit', source: 'form', fields: { ...fields, name: 'Second' } });
  ok({ type: 'Assign', requestId: 'R1', assignee: 'a' });
  assert.equal(
    listRequests(h.state).map((r) => r.id),
    ['R2', 'R1'],
  );
  assert.equal(
    listRequests(h.state, { status: 'assigned' }).map((r) => r.id),
    ['R1'],
  );
  assert.equal(
    listRequests(h.state, { assignee: 'b' }).map((r) => r.id),
    [],
  );
});

test.run();
