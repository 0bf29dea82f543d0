// What the live connection carries, as the server sends it (server side: actors/runtime/bus.ts
// and the socket.io edge). Kept here because the client imports only protocol/ and its own code.

export interface LiveEvent<E extends { type: string } = { type: string; [field: string]: unknown }> {
  /** Global journal position: the client resumes from it after a reconnect. */
  position: number;
  kind: string;
  id: string;
  sequenceNumber: number;
  event: E;
  cause: unknown;
  at: number;
}

export interface BillingRunProgress {
  runId: string;
  done: number;
  total: number;
}

export interface Kpi {
  activeAccounts: number;
  blockedAccounts: number;
  paymentsToday: number;
  chargesToday: number;
  billingRun: BillingRunProgress | null;
  /** Later issues add their counters (devices, modems, licences); tiles show what is there. */
  [counter: string]: unknown;
}

export type LiveStatus = 'connecting' | 'online' | 'offline';
