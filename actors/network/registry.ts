import type { DeviceConfig } from '../device/state.ts';
import {
  type ActorKind,
  accept,
  type Cause,
  type DecideContext,
  type Decision,
  type Rejected,
  reject,
} from '../runtime/kind.ts';

// The routers Abonent manages: one actor, `devices:registry`, with each router's name, its
// configuration and its sealed password. It is what boot activates and what the list shows;
// each router's own actor (`device:<id>`) is told the configuration and holds the connection.
//
// The password is sealed at the edge (AES-256-GCM, ABONENT_SECRET_KEY) and kept only here. A
// device's configuration names it by reference (`registry:<id>:<n>`), so the device actor's
// events, which go out on the live bus, never carry even the ciphertext; `n` changes with the
// password, which makes the new configuration differ and the router reconnect with it.

export const REGISTRY_ID = 'registry';

export interface DeviceRecord {
  id: string;
  name: string;
  config: DeviceConfig;
  createdAt: number;
  updatedAt: number;
}

export interface RegistryState {
  devices: Record<string, DeviceRecord>;
  /** deviceId → its password, sealed; the config's secretRef names the current one. */
  secrets: Record<string, { ref: string; sealed: string }>;
}

/** The configuration as given: the registry fills in the secretRef. */
export type DeviceSettings = Omit<DeviceConfig, 'secretRef'>;

export type RegistryCommand =
  /** The id comes from the `devices` sequence, so the password can be sealed for it first. */
  | { type: 'AddDevice'; deviceId: string; name: string; settings: DeviceSettings; sealedPassword: string }
  /** `sealedPassword` only when it changes. */
  | {
      type: 'UpdateDevice';
      deviceId: string;
      name: string;
      settings: DeviceSettings;
      sealedPassword?: string;
    }
  | { type: 'RemoveDevice'; deviceId: string };

interface Meta {
  by: Cause;
  at: number;
}

export type RegistryEvent =
  | (Meta & { type: 'DeviceAdded'; deviceId: string; name: string; config: DeviceConfig; sealed: string })
  | (Meta & { type: 'DeviceUpdated'; deviceId: string; name: string; config: DeviceConfig; sealed?: string })
  | (Meta & { type: 'DeviceRemoved'; deviceId: string });

export interface RegistryReply {
  device: DeviceRecord | null;
}

/** The context a router password is sealed for: it opens for this device only. */
export const passwordContext = (deviceId: string) => `device-password:${deviceId}`;

const secretRef = (deviceId: string, n: number) => `registry:${deviceId}:${n}`;

/** The device a secretRef belongs to, or null when it is not one of ours. */
export function deviceOfRef(ref: string): string | null {
  const m = /^registry:([^:]+):\d+$/.exec(ref);
  return m ? m[1]! : null;
}

const nameKey = (name: string) => name.trim().toLocaleLowerCase('ru');

/** The refusal when another router already has this name (names are unique ignoring case). */
export function nameTaken(state: RegistryState, name: string, except?: string): Rejected | null {
  const key = nameKey(name);
  const other = Object.values(state.devices).find((d) => d.id !== except && nameKey(d.name) === key);
  return other
    ? reject(409, 'device_name_taken', `router ${other.id} is already called ${JSON.stringify(other.name)}`, {
        deviceId: other.id,
      })
    : null;
}

function decide(
  state: RegistryState,
  cmd: RegistryCommand,
  ctx: DecideContext,
): Decision<RegistryEvent, RegistryReply> {
  const meta = { by: ctx.cause, at: ctx.now };
  switch (cmd.type) {
    case 'AddDevice': {
      const { deviceId } = cmd;
      const existing = state.devices[deviceId];
      if (existing) {
        // A retried add (same id from the sequence's idempotency key): the first one stands.
        const same =
          existing.name === cmd.name &&
          JSON.stringify(existing.config) ===
            JSON.stringify({ ...cmd.settings, secretRef: existing.config.secretRef });
        return same
          ? accept([], { device: existing })
          : reject(409, 'device_exists', `router ${deviceId} exists`);
      }
      const taken = nameTaken(state, cmd.name);
      if (taken) return taken;
      const config = { ...cmd.settings, secretRef: secretRef(deviceId, 1) };
      const event: RegistryEvent = {
        type: 'DeviceAdded',
        deviceId,
        name: cmd.name,
        config,
        sealed: cmd.sealedPassword,
        ...meta,
      };
      return accept([event], {
        device: { id: deviceId, name: cmd.name, config, createdAt: ctx.now, updatedAt: ctx.now },
      });
    }
    case 'UpdateDevice': {
      const current = state.devices[cmd.deviceId];
      if (!current) return reject(404, 'device_not_found', `there is no router ${cmd.deviceId}`);
      const taken = nameTaken(state, cmd.name, cmd.deviceId);
      if (taken) return taken;
      const ref = state.secrets[cmd.deviceId]?.ref ?? current.config.secretRef;
      const n = Number(ref.split(':').at(-1)) || 1;
      const config = {
        ...cmd.settings,
        secretRef: cmd.sealedPassword === undefined ? ref : secretRef(cmd.deviceId, n + 1),
      };
      if (
        cmd.sealedPassword === undefined &&
        current.name === cmd.name &&
        JSON.stringify(current.config) === JSON.stringify(config)
      ) {
        return accept([], { device: current });
      }
      const event: RegistryEvent = {
        type: 'DeviceUpdated',
        deviceId: cmd.deviceId,
        name: cmd.name,
        config,
        ...(cmd.sealedPassword !== undefined ? { sealed: cmd.sealedPassword } : {}),
        ...meta,
      };
      return accept([event], { device: { ...current, name: cmd.name, config, updatedAt: ctx.now } });
    }
    case 'RemoveDevice': {
      if (!state.devices[cmd.deviceId]) return accept([], { device: null });
      return accept([{ type: 'DeviceRemoved', deviceId: cmd.deviceId, ...meta }], { device: null });
    }
  }
}

function evolve(state: RegistryState, e: RegistryEvent): RegistryState {
  switch (e.type) {
    case 'DeviceAdded': {
      const record: DeviceRecord = {
        id: e.deviceId,
        name: e.name,
        config: e.config,
        createdAt: e.at,
        updatedAt: e.at,
      };
      return {
        devices: { ...state.devices, [e.deviceId]: record },
        secrets: { ...state.secrets, [e.deviceId]: { ref: e.config.secretRef, sealed: e.sealed } },
      };
    }
    case 'DeviceUpdated': {
      const current = state.devices[e.deviceId];
      if (!current) return state;
      const record = { ...current, name: e.name, config: e.config, updatedAt: e.at };
      const secrets =
        e.sealed === undefined
          ? state.secrets
          : { ...state.secrets, [e.deviceId]: { ref: e.config.secretRef, sealed: e.sealed } };
      return { ...state, devices: { ...state.devices, [e.deviceId]: record }, secrets };
    }
    case 'DeviceRemoved': {
      const { [e.deviceId]: _, ...devices } = state.devices;
      const { [e.deviceId]: __, ...secrets } = state.secrets;
      return { ...state, devices, secrets };
    }
  }
}

export const registryKind: ActorKind<RegistryState, RegistryCommand, RegistryEvent, RegistryReply> = {
  name: 'devices',
  initial: () => ({ devices: {}, secrets: {} }),
  decide,
  evolve,
  // Its events carry sealed passwords: kept off the live bus (and so off every browser).
  live: false,
};
