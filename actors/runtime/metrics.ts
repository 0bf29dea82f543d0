import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CommitObserver } from '../journal/types.ts';
import { HotHistogram } from './hot-histogram.ts';

// The runtime's and the journal's instruments, in one place. The server owns the
// registry (with the default process metrics) and serves it at /metrics.
export function createRuntimeMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    mailboxDepth: new HotHistogram({
      name: 'abonent_mailbox_depth',
      help: 'Messages queued in an actor mailbox when a new one arrives',
      labelNames: ['kind'],
      buckets: [0, 1, 2, 4, 8, 16, 64, 256, 1024],
      registers,
    }),
    activeActors: new Gauge({
      name: 'abonent_actors_active',
      help: 'Live actors',
      labelNames: ['kind'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'abonent_dead_letters_total',
      help: 'Messages that could not be delivered to an actor',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    overloaded: new Counter({
      name: 'abonent_mailbox_overloaded_total',
      help: 'Messages refused because the mailbox was full',
      labelNames: ['kind'],
      registers,
    }),
    commands: new Counter({
      name: 'abonent_commands_total',
      help: 'Commands handled, by outcome',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    recoveries: new Histogram({
      name: 'abonent_actor_recovery_seconds',
      help: 'Time to recover an actor from snapshot and journal',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers,
    }),
    snapshotFailures: new Counter({
      name: 'abonent_snapshot_failures_total',
      help: 'Snapshots that could not be written (retried at the next interval)',
      labelNames: ['kind'],
      registers,
    }),
    journalBatchSize: new Histogram({
      name: 'abonent_journal_batch_events',
      help: 'Events written per group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
      registers,
    }),
    journalCommitSeconds: new Histogram({
      name: 'abonent_journal_commit_seconds',
      help: 'Latency of one group commit',
      labelNames: ['ok'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
  };
  const observeCommit: CommitObserver = ({ events, ms, ok }) => {
    metrics.journalBatchSize.observe(events);
    metrics.journalCommitSeconds.observe({ ok: String(ok) }, ms / 1000);
  };
  return { ...metrics, observeCommit };
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;
