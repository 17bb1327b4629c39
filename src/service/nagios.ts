/**
 * The Nagios/Icinga plugin conventions (Monitoring Plugins Development Guidelines): one status line
 * `SERVICE STATE - text | perfdata`, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; thresholds in the
 * range syntax (`10`, `10:`, `~:10`, `10:20`, `@10:20`), perfdata as `'label'=value[UOM];warn;crit;min;max`.
 */
import { DgError } from '../errors.ts';

export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type NagiosState = keyof typeof NAGIOS;

export interface Range {
  text: string;
  start: number;
  end: number;
  /** `@` ranges alert inside the range instead of outside it. */
  inside: boolean;
}

export function parseRange(text: string): Range {
  let body = text.trim();
  const inside = body.startsWith('@');
  if (inside) body = body.slice(1);
  let start = 0;
  let end = Infinity;
  const num = (s: string) => {
    const v = Number(s);
    if (s === '' || !Number.isFinite(v)) throw new DgError('DG4101', `bad threshold range '${text}': use N, N:, ~:N, N:M or @N:M`);
    return v;
  };
  if (body.includes(':')) {
    const [a, b] = body.split(':', 2);
    start = a === '~' ? -Infinity : num(a);
    end = b === '' ? Infinity : num(b);
  } else {
    end = num(body);
  }
  if (start > end) throw new DgError('DG4101', `bad threshold range '${text}': start is above end`);
  return { text, start, end, inside };
}

/** True when the value should raise an alert under the range. */
export function alerts(range: Range, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}

export interface PerfDatum {
  label: string;
  value: number;
  uom?: '' | 's' | 'ms' | '%' | 'B' | 'c' | string;
  warn?: Range;
  crit?: Range;
  min?: number;
  max?: number;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

export function formatPerfDatum(d: PerfDatum): string {
  const label = /[\s'=]/.test(d.label) ? `'${d.label.replace(/'/g, "''")}'` : d.label;
  const fields = [`${formatNumber(d.value)}${d.uom ?? ''}`, d.warn?.text ?? '', d.crit?.text ?? '', d.min !== undefined ? formatNumber(d.min) : '', d.max !== undefined ? formatNumber(d.max) : ''];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${label}=${fields.join(';')}`;
}

export function formatStatusLine(service: string, state: NagiosState, text: string, perf: PerfDatum[] = []): string {
  // The status text must stay on one line, and `|` would start the perfdata early.
  const clean = text.replace(/[|\n\r]/g, ' ');
  const perfText = perf.map(formatPerfDatum).join(' ');
  return `${service} ${state} - ${clean}${perfText ? ` | ${perfText}` : ''}`;
}

/** The worst of several states (UNKNOWN ranks below CRITICAL, above WARNING, as the guidelines say). */
export function worst(states: NagiosState[]): NagiosState {
  const rank: Record<NagiosState, number> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };
  return states.reduce<NagiosState>((a, b) => (rank[b] > rank[a] ? b : a), 'OK');
}
