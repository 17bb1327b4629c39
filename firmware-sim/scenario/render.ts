/**
 * Turns a scenario into what the simulator plays: the audio of both legs at 8 kHz, the moments at
 * which secure mode switches and faults change, and the keyed digits with whether each was keyed in
 * secure mode (kept in memory for the rig's own comparison; never printed).
 */
import type { DtmfKey } from '../../src/dsp/dtmf-keys.ts';
import { dtmfTone, toInt16 } from '../../src/dsp/generator.ts';
import { speechLike } from '../../src/dsp/mask-speech-like.ts';
import type { Scenario } from './schema.ts';

export const SAMPLE_RATE = 8000;

export type ScenarioAction =
  | { atMs: number; kind: 'secure'; on: boolean }
  | { atMs: number; kind: 'fault'; name: string; value: string | number; span?: number; channel?: number };

export interface KeyedDigit {
  key: DtmfKey;
  leg: 'caller' | 'agent';
  startMs: number;
  endMs: number;
  /** Whether secure mode was on (by command) when the digit started. */
  secure: boolean;
  events: boolean;
  levelDbm0: number;
}

export interface RenderedScenario {
  durationMs: number;
  caller: Int16Array;
  agent: Int16Array;
  actions: ScenarioAction[];
  keyed: KeyedDigit[];
}

export function renderScenario(scenario: Scenario): RenderedScenario {
  const actions: ScenarioAction[] = [];
  const keyed: KeyedDigit[] = [];
  // First pass: lay the steps on the timeline, so the buffers are allocated once.
  let t = 0;
  let secure = false;
  const place: Array<{ atMs: number; leg: 'caller' | 'agent'; samples: Float64Array }> = [];
  for (const step of scenario.timeline) {
    if ('speech' in step) {
      place.push({ atMs: t, leg: step.speech.leg, samples: speechLike(step.speech.ms, step.speech.seed, step.speech.levelDbm0, SAMPLE_RATE) });
      t += step.speech.ms;
    } else if ('pause' in step) {
      t += step.pause.ms;
    } else if ('digits' in step) {
      const d = step.digits;
      for (const key of d.keys as Iterable<DtmfKey>) {
        place.push({ atMs: t, leg: d.leg, samples: dtmfTone({ key, durationMs: d.toneMs, levelDbm0: d.levelDbm0, twistDb: d.twistDb }) });
        keyed.push({ key, leg: d.leg, startMs: t, endMs: t + d.toneMs, secure, events: d.events, levelDbm0: d.levelDbm0 });
        t += d.toneMs + d.gapMs;
      }
    } else if ('secure' in step) {
      secure = step.secure;
      actions.push({ atMs: t, kind: 'secure', on: step.secure });
    } else {
      actions.push({ atMs: t, kind: 'fault', name: step.fault.name, value: step.fault.value, span: step.fault.span, channel: step.fault.channel });
    }
  }
  const total = Math.round((t * SAMPLE_RATE) / 1000);
  const legs = { caller: new Float64Array(total), agent: new Float64Array(total) };
  for (const p of place) {
    const offset = Math.round((p.atMs * SAMPLE_RATE) / 1000);
    const target = legs[p.leg];
    for (let i = 0; i < p.samples.length && offset + i < total; i++) target[offset + i] += p.samples[i];
  }
  return { durationMs: t, caller: toInt16(legs.caller), agent: toInt16(legs.agent), actions, keyed };
}
