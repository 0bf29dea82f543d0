import type uWS from 'uWebSockets.js';
import { BILLING_TOPIC, type BillingProgress } from '../../actors/billing/run.ts';
import { type Following, followJournal } from '../../actors/runtime/projection.ts';
import { staffDirectoryKind } from '../../actors/staff/directory.ts';
import { signingKeysKind } from '../../actors/staff/keys.ts';
import { securityPolicyKind } from '../../actors/staff/policy.ts';
import { staffUserKind } from '../../actors/staff/user.ts';
import type { AbonentServices } from '../app.ts';
import { AccountDirectory } from '../dashboard/directory.ts';
import { KpiBoard } from '../dashboard/kpi.ts';
import { mapRoutes } from '../dashboard/map.ts';
import { dashboardRoutes } from '../dashboard/routes.ts';
import type { Authenticator, Principal } from '../http/auth.ts';
import type { Route } from '../http/route.ts';
import { LiveGateway, type LiveGatewayOptions } from '../live/sockets.ts';
import { checkpointOptions, logBuild } from '../projections.ts';
import { loadSecretKey, secretBox } from '../secrets.ts';
import { StaffAccess } from './access.ts';
import { AuditLog } from './audit.ts';
import { jwtAuthenticator } from './authenticator.ts';
import { StaffRoster } from './roster.ts';
import { staffRoutes } from './routes.ts';
import { KeyRing } from './tokens.ts';

// The staff side of Abonent, wired once per running server: staff users and their logins,
// the signing keys, the audit log, the dashboard's projections (directory, KPIs) and its
// socket.io transport. server/api.ts hands its parts to startAbonent.

export const staffKinds = [staffUserKind, staffDirectoryKind, signingKeysKind, securityPolicyKind];

export class StaffArea {
  readonly roster = new StaffRoster();
  readonly audit: AuditLog;
  readonly directory = new AccountDirectory();
  readonly kpi: KpiBoard;
  readonly keys: KeyRing;
  readonly access: StaffAccess;
  private following: Following | undefined;
  private offBilling: (() => void) | undefined;
  private gateway: LiveGateway | undefined;

  constructor(private readonly services: AbonentServices) {
    const { config, system, clock, log } = services;
    const box = secretBox(loadSecretKey(config, log));
    this.audit = new AuditLog(this.roster, services.journal);
    this.kpi = new KpiBoard(this.directory, clock);
    this.keys = new KeyRing(system, box, clock, log.child({ component: 'signing-keys' }));
    this.access = new StaffAccess({ system, clock, log, box, keys: this.keys, roster: this.roster });
  }

  /** Builds the projections from the journal and loads (or makes) the signing keys. */
  async start(): Promise<void> {
    const { journal, system, bus } = this.services;
    this.following = await followJournal(
      journal,
      system,
      [this.roster, this.audit, this.directory, this.kpi],
      { checkpoint: checkpointOptions('staff', this.services) },
    );
    logBuild(this.services, 'staff', this.following);
    this.offBilling = bus.subscribe(BILLING_TOPIC, (message) =>
      this.kpi.billingProgress(message.event as BillingProgress),
    );
    await this.keys.start();
  }

  routes(): Route[] {
    return [
      ...staffRoutes({ access: this.access, keys: this.keys, audit: this.audit }),
      ...dashboardRoutes({ journal: this.services.journal, directory: this.directory, kpi: this.kpi }),
      ...mapRoutes({
        directory: this.directory,
        tiles: { url: this.services.config.mapTileUrl, attribution: this.services.config.mapTileAttribution },
      }),
    ];
  }

  authenticators(): Authenticator[] {
    return [jwtAuthenticator(this.keys, this.access)];
  }

  /** socket.io on the uWS app; closed by stop() or by the returned handle. */
  attachSockets(
    app: uWS.TemplatedApp,
    authenticators: readonly Authenticator[],
    sources: Pick<LiveGatewayOptions, 'devices'> = {},
  ): LiveGateway {
    const { services } = this;
    this.gateway = new LiveGateway({
      app,
      log: services.log.child({ component: 'live' }),
      system: services.system,
      bus: services.bus,
      roster: this.roster,
      kpi: this.kpi,
      authenticators,
      permissionsOf: (p) => this.permissionsNow(p),
      redisUrl: services.config.redisUrl,
      ...sources,
    });
    return this.gateway;
  }

  async stop(): Promise<void> {
    await this.gateway?.close();
    this.offBilling?.();
    await this.following?.stop();
  }

  private permissionsNow(principal: Principal): Principal['permissions'] | null {
    if (principal.kind !== 'staff') return principal.permissions;
    const user = this.roster.get(principal.id);
    return user && !user.disabled ? this.access.permissionsFor(user.roles) : null;
  }
}

const areas = new WeakMap<AbonentServices, StaffArea>();

/** The staff area of a running server, made on first use. */
export function staffOf(services: AbonentServices): StaffArea {
  let area = areas.get(services);
  if (!area) {
    area = new StaffArea(services);
    areas.set(services, area);
  }
  return area;
}
