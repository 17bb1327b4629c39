/**
 * What is wrong with an appliance, from a board snapshot: the one evaluation behind `/healthz`,
 * the alarm log events and the Nagios check, so the three never disagree.
 *
 * Severities follow the telco colour conventions (ANSI T1.231 / ITU-T G.775): red alarms (LOS, LOF)
 * and blue (AIS) take the span out of service → critical; yellow (RAI: the far end cannot see us)
 * → warning. Bypass engaged means calls pass unmasked → critical, whatever else holds.
 */
import { parseRange, alerts, type Range } from './nagios.ts';
import type { AlarmName, BoardSnapshot } from './board-snapshot.ts';

export type Severity = 'warning' | 'critical';

export interface Problem {
  /** Stable id, e.g. `link.down`, `span1.los`, `bypass`, `temperature`. */
  id: string;
  severity: Severity;
  what: string;
}

export interface Thresholds {
  /** Board temperature, °C. */
  temperature: { warn: Range; crit: Range };
  /** DSP load, percent. */
  dspLoad: { warn: Range; crit: Range };
  /** CRC errors per minute on any span, averaged over the counting period. */
  crcPerMinute: { warn: Range; crit: Range };
  /** Controlled slips on any span since the counters were reset. */
  slips: { warn: Range; crit: Range };
}

/** Defaults: a board rated to 70 °C; DSP headroom; error rates a healthy span never shows. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  temperature: { warn: parseRange('60'), crit: parseRange('70') },
  dspLoad: { warn: parseRange('80'), crit: parseRange('95') },
  crcPerMinute: { warn: parseRange('10'), crit: parseRange('100') },
  slips: { warn: parseRange('5'), crit: parseRange('50') },
};

const ALARM_TEXT: Record<AlarmName, { severity: Severity; text: string }> = {
  los: { severity: 'critical', text: 'LOS (red alarm: loss of signal)' },
  lof: { severity: 'critical', text: 'LOF (red alarm: loss of frame)' },
  ais: { severity: 'critical', text: 'AIS (blue alarm: upstream failure)' },
  rai: { severity: 'warning', text: 'RAI (yellow alarm: far end reports a fault)' },
};

function graded(value: number, t: { warn: Range; crit: Range }): Severity | undefined {
  if (alerts(t.crit, value)) return 'critical';
  if (alerts(t.warn, value)) return 'warning';
  return undefined;
}

export function evaluateProblems(s: BoardSnapshot, t: Thresholds = DEFAULT_THRESHOLDS): Problem[] {
  const problems: Problem[] = [];
  if (!s.link.up) {
    problems.push({ id: 'link.down', severity: 'critical', what: s.link.state === 'failed' ? 'control link failed: recovery gave up, check the cable or port' : `control link down (${s.link.state})` });
    // Without the link everything else is stale; report only that.
    return problems;
  }
  const h = s.health;
  if (h?.bypass) problems.push({ id: 'bypass', severity: 'critical', what: 'bypass relay engaged: calls pass UNMASKED' });
  for (const [ch, a] of s.channels) if (a.dspStalled) problems.push({ id: `channel${ch}.dsp`, severity: 'critical', what: `DSP stalled on channel ${ch}` });
  for (const span of s.spans) {
    for (const alarm of Object.keys(ALARM_TEXT) as AlarmName[]) {
      if (span.alarms[alarm]) problems.push({ id: `span${span.span}.${alarm}`, severity: ALARM_TEXT[alarm].severity, what: `span ${span.span} ${ALARM_TEXT[alarm].text}` });
    }
    const minutes = Math.max(span.countedS / 60, 1);
    const crcRate = span.counters.crc_err / minutes;
    const crcSev = graded(crcRate, t.crcPerMinute);
    if (crcSev) problems.push({ id: `span${span.span}.crc`, severity: crcSev, what: `span ${span.span} ${crcRate.toFixed(1)} CRC errors/min` });
    const slipSev = graded(span.counters.slips, t.slips);
    if (slipSev) problems.push({ id: `span${span.span}.slips`, severity: slipSev, what: `span ${span.span} ${span.counters.slips} slips (check clock source)` });
  }
  if (h) {
    const tempSev = graded(h.tempC, t.temperature);
    if (tempSev) problems.push({ id: 'temperature', severity: tempSev, what: `board temperature ${h.tempC} °C` });
    const loadSev = graded(h.dspLoadPct, t.dspLoad);
    if (loadSev) problems.push({ id: 'dsp.load', severity: loadSev, what: `DSP load ${h.dspLoadPct}%` });
    for (const [rail, mv, nominal] of [['main', h.vMainMv, 12000], ['3v3', h.v3v3Mv, 3300]] as const) {
      const deviation = Math.abs(mv - nominal) / nominal;
      // Supplies are specified to ±5%; beyond ±10% the board's behaviour is undefined.
      const sev: Severity | undefined = deviation > 0.1 ? 'critical' : deviation > 0.05 ? 'warning' : undefined;
      if (sev) problems.push({ id: `supply.${rail}`, severity: sev, what: `${rail} supply at ${(mv / 1000).toFixed(2)} V (nominal ${(nominal / 1000).toFixed(1)} V)` });
    }
  }
  return problems;
}

/**
 * Keeps `since` for each problem id: the first time it was seen in an unbroken run. Returns the
 * problems raised and cleared since the previous call, for the alarm log.
 */
export function trackProblems(since: Map<string, string>, current: Problem[], now: string): { raised: Problem[]; cleared: string[] } {
  const ids = new Set(current.map((p) => p.id));
  const raised = current.filter((p) => !since.has(p.id));
  const cleared = [...since.keys()].filter((id) => !ids.has(id));
  for (const p of raised) since.set(p.id, now);
  for (const id of cleared) since.delete(id);
  return { raised, cleared };
}
