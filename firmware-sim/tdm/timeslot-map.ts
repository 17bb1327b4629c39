/**
 * Where a TDM channel lives: channel numbers run span by span over the bearer timeslots in order
 * (docs/protocol.md §12.1). E1 (ITU-T G.704 §2.3): TS0 carries framing and TS16 signalling, so
 * TS1-15 are channels 1-15 and TS17-31 channels 16-30 of the span; T1: TS1-24 are channels 1-24.
 */
import type { HardwareProfile } from '../../hardware-profiles/schema.ts';
import { DgError } from '../../src/errors.ts';

export const E1_BEARERS: readonly number[] = [...Array.from({ length: 15 }, (_, i) => i + 1), ...Array.from({ length: 15 }, (_, i) => i + 17)];
export const T1_BEARERS: readonly number[] = Array.from({ length: 24 }, (_, i) => i + 1);

export function bearersOf(kind: 'e1' | 't1'): readonly number[] {
  return kind === 'e1' ? E1_BEARERS : T1_BEARERS;
}

/** The board channel (1-based) carried on `timeslot` of `span`; DG5803 when there is none. */
export function channelOf(profile: HardwareProfile, span: number, timeslot: number): number {
  const spans = profile.interfaces.spans;
  if (spans.length === 0) throw new DgError('DG5803', `model ${profile.model} has no E1/T1 spans; use a TDM profile such as dual-e1`);
  if (!Number.isInteger(span) || span < 1 || span > spans.length) throw new DgError('DG5803', `span ${span} does not exist; ${profile.model} has spans 1-${spans.length}`);
  const kind = spans[span - 1].type;
  const bearers = bearersOf(kind);
  const i = bearers.indexOf(timeslot);
  if (i < 0) throw new DgError('DG5803', `timeslot ${timeslot} carries no audio on an ${kind.toUpperCase()} span; use ${kind === 'e1' ? '1-15 or 17-31' : '1-24'}`);
  let before = 0;
  for (let s = 0; s < span - 1; s++) before += bearersOf(spans[s].type).length;
  const ch = before + i + 1;
  if (ch > profile.channels) throw new DgError('DG5803', `span ${span} timeslot ${timeslot} would be channel ${ch}, but ${profile.model} has ${profile.channels}`);
  return ch;
}
