// The soak's judgement and its bad-input generator, without processes: the targets fail when the
// board's counts say a command was lost or run twice, when an alarm was not cleared, when a daemon
// grew or died; and a parser that throws anything but its documented error is a crash.
import { describe, expect, it } from 'vitest';
import { judge, recoveries, type JudgeInput } from '../../../firmware-sim/soak/soak-report.ts';
import { Rng, mutate, fuzzParsers, TARGETS } from '../../../firmware-sim/soak/parser-fuzz.ts';
import type { DeviceServerStats } from '../../../firmware-sim/server/device-server.ts';

const stats = (executed: Record<string, number>, reexecuted: Record<string, number> = {}): DeviceServerStats =>
  ({ repeats: 0, naksSent: 0, executed, reexecuted }) as unknown as DeviceServerStats;
const figures = { rssKb: 100_000, fds: 28 };
const T0 = Date.parse('2026-11-22T01:00:00Z');

function input(over: Partial<JudgeInput> = {}): JudgeInput {
  return {
    minutes: 1,
    seed: 1,
    corrupt: 1e-4,
    elapsedS: 60,
    startedAt: T0,
    commands: { 'dual-e1: counters --reset': { sent: 3, ok: 3, failed: 0, noAnswer: 0, codes: {} }, 'dual-e1: secure on': { sent: 2, ok: 2, failed: 0, noAnswer: 0, codes: {} } },
    payments: { done: 2, skipped: 0, digitsKeyed: 32, secureOffFailed: 0 },
    faults: {},
    alarmsInjected: [{ fault: 'los', span: 1, at: T0 + 1000 }],
    events: {
      'dual-e1': [
        { event: 'link.state', state: 'ready', time: T0 - 5000 },
        { event: 'alarm.raised', alarm: 'span1.los', time: T0 + 1600 },
        { event: 'alarm.cleared', alarm: 'span1.los', time: T0 + 9000 },
        { event: 'link.state', state: 'recovering', time: T0 + 20_000 },
        { event: 'link.state', state: 'connecting', time: T0 + 20_300 },
        { event: 'link.state', state: 'ready', time: T0 + 20_500 },
      ],
    },
    board: { 'dual-e1': { start: stats({ RESET_COUNTERS: 10, SET_SECURE: 1 }), end: stats({ RESET_COUNTERS: 13, SET_SECURE: 3 }) } },
    figures: { 'dual-e1': { start: figures, end: { ...figures, rssKb: 110_000 } } },
    maskedDigits: 32,
    verify: { ok: true, exitCode: 0, digits: 64, masks: 64, leaks: 0 },
    parsers: { p: { tried: 10, accepted: 2, rejected: 8, crashes: 0, examples: [] } },
    daemonsAlive: [{ name: 'dual-e1', alive: true }],
    ...over,
  };
}

describe('soak judgement', () => {
  it('passes when the board ran what the clients were told was done, once each', () => {
    const r = judge(input());
    expect(r.targets.filter((t) => !t.ok)).toEqual([]);
    expect(r.recoveries['dual-e1']).toEqual({ count: 1, medianMs: 500, maxMs: 500 });
  });

  it('counts a reset reported done but not run as lost, and one run twice as applied twice', () => {
    const lost = judge(input({ board: { 'dual-e1': { start: stats({ RESET_COUNTERS: 10, SET_SECURE: 1 }), end: stats({ RESET_COUNTERS: 12, SET_SECURE: 3 }) } } }));
    expect(lost.commands.lost).toBe(1);
    expect(lost.ok).toBe(false);
    const twice = judge(input({ board: { 'dual-e1': { start: stats({ RESET_COUNTERS: 10, SET_SECURE: 1 }), end: stats({ RESET_COUNTERS: 13, SET_SECURE: 3 }, { RESET_COUNTERS: 1 }) } } }));
    expect(twice.commands.appliedTwice).toBe(1);
    expect(twice.ok).toBe(false);
    const unanswered = judge(input({ commands: { 'dual-e1: info': { sent: 1, ok: 0, failed: 0, noAnswer: 1, codes: {} } } }));
    expect(unanswered.commands.lost).toBe(1);
  });

  it('fails on a leak, an alarm never cleared, a daemon that grew or died, and a parser crash', () => {
    expect(judge(input({ verify: { ok: true, exitCode: 1, digits: 64, masks: 63, leaks: 1 } })).ok).toBe(false);
    const events = input().events['dual-e1'].filter((e) => e.event !== 'alarm.cleared');
    const uncleared = judge(input({ events: { 'dual-e1': events } }));
    expect(uncleared.alarms.notCleared).toEqual(['span1.los']);
    expect(uncleared.ok).toBe(false);
    expect(judge(input({ figures: { 'dual-e1': { start: figures, end: { ...figures, fds: 60 } } } })).ok).toBe(false);
    expect(judge(input({ figures: { 'dual-e1': { start: figures, end: { ...figures, rssKb: 300_000 } } } })).ok).toBe(false);
    expect(judge(input({ daemonsAlive: [{ name: 'dual-e1', alive: false }] })).ok).toBe(false);
    expect(judge(input({ parsers: { p: { tried: 10, accepted: 2, rejected: 7, crashes: 1, examples: ['x'] } } })).ok).toBe(false);
  });

  it('measures a recovery from the first state other than ready to the next ready, and not the first connection', () => {
    const t = (state: string, time: number) => ({ event: 'link.state', state, time });
    expect(recoveries([t('connecting', 0), t('ready', 100), t('recovering', 1000), t('failed', 2000), t('connecting', 3000), t('ready', 4000), t('recovering', 5000), t('ready', 5300)], 0)).toEqual([3000, 300]);
  });
});

describe('soak bad inputs', () => {
  it('mutates deterministically from a seed', () => {
    const seed = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(mutate(new Rng(5), seed)).toEqual(mutate(new Rng(5), seed));
  });

  it('feeds every parser and finds no crash in a short run', async () => {
    const tallies = {};
    await fuzzParsers(tallies, 11, 300);
    expect(Object.keys(tallies)).toHaveLength(TARGETS.length);
    for (const t of Object.values(tallies) as Array<{ tried: number; crashes: number; examples: string[] }>) {
      expect(t.tried).toBeGreaterThan(0);
      expect(t.examples).toEqual([]);
    }
  });

  it('counts an undocumented exception as a crash, with its seed', async () => {
    const saved = TARGETS.slice();
    TARGETS.splice(0, TARGETS.length, { name: 'broken', feed: () => { throw new TypeError('x is undefined'); }, documented: () => false });
    try {
      const tallies: Record<string, { crashes: number; examples: string[] }> = {};
      await fuzzParsers(tallies as never, 1, 20);
      expect(tallies.broken.crashes).toBeGreaterThan(0);
      expect(tallies.broken.examples[0]).toMatch(/^seed \d+: TypeError: x is undefined/);
    } finally {
      TARGETS.splice(0, TARGETS.length, ...saved);
    }
  });
});
