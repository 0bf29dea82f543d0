import { randomBytes } from 'node:crypto';
import type { Network } from '../../actors/network/network.ts';
import {
  type DeviceSettings,
  passwordContext,
  REGISTRY_ID,
  type RegistryReply,
  registryKind,
} from '../../actors/network/registry.ts';
import { type Cause, systemCause } from '../../actors/runtime/kind.ts';
import type { BackgroundService } from '../api.ts';
import type { AbonentServices } from '../app.ts';
import { nextNumber } from '../http/routes/context.ts';
import { startRouterOsSim } from './routeros-sim.ts';

// Demo mode (ABONENT_DEMO=1): a newcomer's `npm start` shows a router online without owning
// one. The RouterOS simulator (the tests' peer, speaking the real API protocol) runs inside
// the server on a free local port, and a device named "Demo router" points at it: added the
// first time, moved to the new port and a new password on every later start. Everything
// else is real: the device actor connects through node-routeros, the monitor checks it, and
// blocks of accounts with a service on it land in its address list.
//
// It is opt-in. The demo router is a device like any other, written to the journal: an
// install meant for real routers must never find one it did not ask for (remove it with
// DELETE /api/v1/devices/{id} or the devices screen once demo mode is off; it shows offline
// until then).

export const DEMO_DEVICE_NAME = 'Demo router';
const DEMO_USER = 'abonent';
const demoCause: Cause = { ...systemCause, id: 'demo' };

export async function startDemo(services: AbonentServices, network: Network): Promise<BackgroundService> {
  const { system, log } = services;
  const password = randomBytes(18).toString('base64url');
  const sim = await startRouterOsSim({
    username: DEMO_USER,
    password,
    identity: 'abonent-demo',
    boardName: 'CHR (simulated)',
  });
  try {
    const settings: DeviceSettings = {
      host: sim.host,
      port: sim.port,
      username: DEMO_USER,
      tls: false,
      driver: 'api',
      blockMode: 'address-list',
      blockList: 'abonent-blocked',
    };
    const existing = await system.read(
      registryKind,
      REGISTRY_ID,
      (s) => Object.values(s.devices).find((d) => d.name === DEMO_DEVICE_NAME)?.id ?? null,
    );
    const deviceId =
      existing ??
      `D${await nextNumber(system, 'devices', { cause: demoCause }, { type: 'AddDevice', name: DEMO_DEVICE_NAME })}`;
    const sealedPassword = network.secrets.seal(password, passwordContext(deviceId));
    const { device } = (await system.ask(
      registryKind,
      REGISTRY_ID,
      existing
        ? { type: 'UpdateDevice', deviceId, name: DEMO_DEVICE_NAME, settings, sealedPassword }
        : { type: 'AddDevice', deviceId, name: DEMO_DEVICE_NAME, settings, sealedPassword },
      { cause: demoCause },
    )) as RegistryReply;
    const record = device!;
    await system.ask(
      network.deviceKind,
      deviceId,
      { type: 'Configure', config: record.config },
      { cause: demoCause },
    );
    network.monitor.check(record).catch(() => {});
    log.info(
      { deviceId, host: sim.host, port: sim.port },
      `demo mode: the simulated router "${DEMO_DEVICE_NAME}" (${deviceId}) listens on ${sim.host}:${sim.port}`,
    );
  } catch (err) {
    await sim.close();
    throw err;
  }
  return { name: 'demo router', stop: () => sim.close() };
}
