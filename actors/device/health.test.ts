import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startRouterOsSim } from '../../scripts/sim/routeros.ts';
import { checkDeviceHealth } from './health.ts';

const test = suite('device health check');

test('reachable, logged in, identity and resource', async () => {
  const sim = await startRouterOsSim({ password: 'pw', identity: 'core-1' });
  const r = await checkDeviceHealth({ host: sim.host, port: sim.port, username: 'admin' }, 'pw');
  await sim.close();
  assert.ok(r.ok);
  assert.is(r.identity, 'core-1');
  assert.is(r.resource?.version, '7.18.2 (stable)');
  assert.type(r.timings.login, 'number');
  assert.is(sim.clientCount(), 0, 'its connection is closed');
});

test('refused credentials fail at the login step', async () => {
  const sim = await startRouterOsSim({ password: 'pw' });
  const r = await checkDeviceHealth({ host: sim.host, port: sim.port, username: 'admin' }, 'wrong');
  await sim.close();
  assert.not.ok(r.ok);
  assert.ok(r.reachable);
  assert.equal(r.failed && [r.failed.stage, r.failed.code], ['login', 'auth_failed']);
});

test('tcpOnly checks the reach and never tries a login', async () => {
  const sim = await startRouterOsSim({ password: 'pw' });
  const r = await checkDeviceHealth({ host: sim.host, port: sim.port, username: 'admin' }, 'wrong', {
    tcpOnly: true,
  });
  await sim.close();
  assert.ok(r.reachable);
  assert.ok(r.tcpOnly);
  assert.not.ok(r.loggedIn);
  assert.is(sim.counters.failedLogins, 0);
});

test('a closed port fails at the TCP step', async () => {
  const sim = await startRouterOsSim();
  await sim.setOnline(false);
  const r = await checkDeviceHealth({ host: sim.host, port: sim.port, username: 'admin' }, '');
  await sim.close();
  assert.not.ok(r.reachable);
  assert.equal(r.failed && [r.failed.stage, r.failed.code], ['tcp', 'unreachable']);
});

test('a router that accepts but never answers fails at the login step with timeout', async () => {
  const sim = await startRouterOsSim();
  sim.setDelay(2000);
  const r = await checkDeviceHealth({ host: sim.host, port: sim.port, username: 'admin' }, '', {
    timeoutMs: 200,
  });
  await sim.close();
  assert.ok(r.reachable);
  assert.equal(r.failed && [r.failed.stage, r.failed.code], ['login', 'timeout']);
});

test.run();
