// The contrib files refer to metrics by name: every name they use must be one the daemon exports.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptySnapshot } from '../../../src/service/board-snapshot.ts';
import { ApplianceMetrics } from '../../../src/service/metrics.ts';

const ROOT = join(import.meta.dirname, '../../..');

async function exportedNames(): Promise<Set<string>> {
  const m = new ApplianceMetrics(() => emptySnapshot());
  return new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name));
}

function usedNames(text: string): string[] {
  return [...new Set(text.match(/dtmfguard_[a-z0-9_]+/g) ?? [])];
}

describe('contrib', () => {
  it('the Grafana dashboard is valid JSON and uses only exported metrics', async () => {
    const text = readFileSync(join(ROOT, 'contrib/grafana/dtmfguard-dashboard.json'), 'utf8');
    const dash = JSON.parse(text);
    expect(dash.panels.length).toBeGreaterThan(10);
    const names = await exportedNames();
    const used = usedNames(text);
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });

  it('the example alert rules use only exported metrics', async () => {
    const names = await exportedNames();
    const used = usedNames(readFileSync(join(ROOT, 'contrib/prometheus/dtmfguard-alerts.yml'), 'utf8'));
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });

  it('promtool (Prometheus itself) accepts the alert rules', () => {
    const out = execFileSync('promtool', ['check', 'rules', join(ROOT, 'contrib/prometheus/dtmfguard-alerts.yml')], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });
});
