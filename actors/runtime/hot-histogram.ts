import type { Registry } from 'prom-client';

// A histogram for what is observed on every request or message: the HTTP request time and the
// mailbox depth. prom-client's observe() makes a closure, a labels object and a hash string
// each call (in perf, 3% of the event loop in charges-http); here a label set is looked up
// once and an observation is a bucket search and three additions. It is registered like any
// prom-client metric, so /metrics shows it in the same text format.

/** One label set's counts: per bucket (not cumulative), sum and count. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Record<string, string | number>,
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

/** One line of the exposition, as prom-client's Registry formats it. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  /** Printed after `labels`: prom-client puts `le` first this way. */
  sharedLabels?: Record<string, string | number>;
  value: number;
}

export interface HotHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
}

export class HotHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: number[];
  private readonly labelNames: readonly L[];
  private readonly byKey = new Map<string, HistogramSeries>();

  constructor(options: HotHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) {
      // prom-client's Registry takes any object with a name and get(): what it formats is that.
      registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    }
  }

  /** The series named `key` (any string that tells label sets apart), if observed before. */
  series(key: string): HistogramSeries | undefined {
    return this.byKey.get(key);
  }

  /** Starts the series `key` for these label values, in `labelNames` order. */
  add(key: string, values: readonly (string | number)[]): HistogramSeries {
    const labels: Record<string, string | number> = {};
    this.labelNames.forEach((name, i) => {
      labels[name] = values[i]!;
    });
    const series = new HistogramSeries(this.bounds, labels);
    this.byKey.set(key, series);
    return series;
  }

  reset(): void {
    this.byKey.clear();
  }

  async get() {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.byKey.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ metricName: bucket, labels: { le }, sharedLabels: s.labels, value: cumulative });
      });
      values.push({ metricName: bucket, labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
