// OpenTelemetry collections through the SDK, flattened to name → points, as the tests compare them.
import type { Meter } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

export interface Point {
  attributes: Record<string, unknown>;
  value: number;
}

/** A reader that collects on demand (the SDK's MetricReader, with nothing to flush or shut down). */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface OtelHarness {
  meter: Meter;
  /** One collection: every instrument's points by instrument name (instruments with none left out). */
  collect(): Promise<Map<string, Point[]>>;
  shutdown(): Promise<void>;
}

/**
 * A meter and its reader. Cumulative (the SDK's default) keeps reporting the last points of an
 * instrument whose callback is gone; delta reports only what this collection observed.
 */
export function otelHarness(temporality: 'cumulative' | 'delta' = 'cumulative'): OtelHarness {
  const reader = new OnDemandReader(
    temporality === 'delta' ? { aggregationTemporalitySelector: () => AggregationTemporality.DELTA } : {},
  );
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter('sockscope-test'),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length) throw new AggregateError(errors, 'collection failed');
      const out = new Map<string, Point[]>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const m of scope.metrics) {
          const points = m.dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: p.value as number }));
          if (points.length) out.set(m.descriptor.name, points);
        }
      }
      return out;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The value of the one point of `name` whose attributes include `attributes`. */
export function pointOf(points: Map<string, Point[]>, name: string, attributes: Record<string, unknown> = {}): number | undefined {
  return points.get(name)?.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))?.value;
}
