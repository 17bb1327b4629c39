// Parses Prometheus text exposition with an independent parser (parse-prometheus-text-format),
// so tests check what a real scraper would read, not what our own code believes it wrote.
import parse from 'parse-prometheus-text-format';

export interface Family {
  type: string;
  help: string;
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const f of parse(text) as Array<{ name: string; help: string; type: string; metrics: Array<{ value?: string; labels?: Record<string, string> }> }>) {
    families.set(f.name, {
      type: f.type.toLowerCase(),
      help: f.help,
      samples: f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) })),
    });
  }
  return families;
}
