import { describe, expect, it } from 'vitest';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { channelOf } from '../../../firmware-sim/tdm/timeslot-map.ts';

describe('TDM channel numbers (docs/protocol.md §12.1)', () => {
  const e1 = loadProfile(shippedProfilePath('dual-e1'));
  const t1 = loadProfile(shippedProfilePath('dual-t1'));

  it('run span by span over the bearers: E1 skips TS0 (framing) and TS16 (signalling)', () => {
    expect([1, 15, 17, 31].map((ts) => channelOf(e1, 1, ts))).toEqual([1, 15, 16, 30]);
    expect([1, 31].map((ts) => channelOf(e1, 2, ts))).toEqual([31, 60]);
    expect([1, 24].map((ts) => channelOf(t1, 1, ts))).toEqual([1, 24]);
    expect(channelOf(t1, 2, 24)).toBe(48);
  });

  it('refuses timeslots without audio, missing spans and SIP models with DG5803', () => {
    expect(() => channelOf(e1, 1, 0)).toThrow(/^DG5803: timeslot 0 carries no audio on an E1 span; use 1-15 or 17-31/);
    expect(() => channelOf(e1, 1, 16)).toThrow(/DG5803/);
    expect(() => channelOf(t1, 1, 25)).toThrow(/use 1-24/);
    expect(() => channelOf(e1, 3, 1)).toThrow(/span 3 does not exist/);
    expect(() => channelOf(loadProfile(shippedProfilePath('sip-edge')), 1, 1)).toThrow(/no E1\/T1 spans/);
  });
});
