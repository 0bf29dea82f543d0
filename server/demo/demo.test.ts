import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceView } from '../../protocol/network.ts';
import { type NetworkApi, startNetworkApi } from '../http/routes/testing/network.ts';
import { DEMO_DEVICE_NAME } from './demo.ts';

// Demo mode: ABONENT_DEMO=1 runs the RouterOS simulator inside the server and registers it as
// a device that comes online; a restart moves the same device to the new simulator (no
// second demo router), and without the flag there is none.

const list = async (api: NetworkApi) =>
  (await api.call<{ items: DeviceView[] }>('GET', '/api/v1/devices')).body.items;

test('ABONENT_DEMO=1: one demo router, online, across restarts; off by default', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-demo-'));
  try {
    const plain = await startNetworkApi({ dataDir });
    assert.equal(await list(plain), [], 'no demo router unless asked for');
    await plain.stop();

    let firstPort = 0;
    for (const run of [1, 2]) {
      const api = await startNetworkApi({ dataDir, env: { ABONENT_DEMO: '1' } });
      try {
        const demo = await api.until(`the demo router online (run ${run})`, async () => {
          const items = await list(api);
          return items.length === 1 && items[0]!.status === 'online' ? items[0]! : null;
        });
        assert.is(demo.name, DEMO_DEVICE_NAME);
        assert.is(demo.id, 'D1');
        assert.is(demo.host, '127.0.0.1');
        assert.is(demo.identity, 'abonent-demo');
        if (run === 1) firstPort = demo.port;
        else assert.is.not(demo.port, firstPort, 'a new simulator, a new port');
        assert.ok(
          api.logs.some((l) => l.includes('demo mode')),
          'the log says where the simulated router is',
        );
      } finally {
        await api.stop();
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
