import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import type { Board, BoardEvent } from '../../../firmware-sim/board/board.ts';
import { Channel } from '../../../firmware-sim/channel/channel.ts';
import { encodeEvent } from '../../../src/protocol/commands.ts';
import { codewords, fit, heard, leg } from './call-audio.ts';

const CODEC = 'alaw'; // the dual-E1 profile's
const CHUNK = 80; // 10 ms, as the TDM feeder hands it over

function newBoard(): { board: Board; clock: ManualBoardClock; events: BoardEvent[] } {
  const clock = new ManualBoardClock(5_000);
  const board = createBoard(loadProfile(shippedProfilePath('dual-e1')), { clock, serial: 'DG2E1-000001' });
  const events: BoardEvent[] = [];
  board.on('event', (e) => events.push(e));
  return { board, clock, events };
}

/** Plays both legs through channel `ch` of the board in 10 ms steps, the board clock following the audio. */
function play(board: Board, clock: ManualBoardClock, ch: number, caller: Uint8Array, agent: Uint8Array, at?: (ms: number) => void) {
  const n = caller.length;
  const outCaller = new Uint8Array(n);
  const outAgent = new Uint8Array(n);
  for (let i = 0; i < n; i += CHUNK) {
    at?.(i / 8);
    const j = Math.min(n, i + CHUNK);
    board.channels.process(ch, caller.subarray(i, j), agent.subarray(i, j), outCaller.subarray(i, j), outAgent.subarray(i, j));
    clock.advance((j - i) / 8);
  }
  const tail = board.channels.get(ch).flush();
  const cat = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);
  return { caller: cat(outCaller, tail.caller), agent: cat(outAgent, tail.agent) };
}

const masked = (e: BoardEvent[]) => e.filter((x) => x.name === 'MASKED');

/**
 * No fragment leaks: every tone, shifted by the 40 ms lookahead, lies inside one MASKED window of
 * its leg (at_ms is ms since boot; the board booted when the channel's audio started). Outside
 * mask windows the output is the delayed input, so nothing of a covered tone can leave.
 */
function expectCovered(digits: Array<{ startMs: number; endMs: number }>, events: BoardEvent[], legName: 'caller' | 'agent'): void {
  const windows = masked(events)
    .map((e) => e.fields as { at_ms: number; dur_ms: number; leg: string })
    .filter((w) => w.leg === legName);
  for (const d of digits) {
    const ok = windows.some((w) => w.at_ms <= d.startMs + 40 + 1 && w.at_ms + w.dur_ms >= d.endMs + 40 - 1);
    expect(ok, `tone ${d.startMs}-${d.endMs} ms on the ${legName} leg inside a mask window`).toBe(true);
  }
}
const secureEvents = (e: BoardEvent[]) => e.filter((x) => x.name === 'SECURE').map((x) => x.fields);

describe('channel: secure mode by host command', () => {
  it('masks every caller digit (the detector hears only the mask tone) and reports each as MASKED without a digit', () => {
    const { board, clock, events } = newBoard();
    const callerLeg = leg([{ speechMs: 400, seed: 3 }, { digits: '4111', toneMs: 70, gapMs: 70 }, { silenceMs: 200 }]);
    const caller = codewords(callerLeg.pcm, CODEC);
    const agent = fit(codewords(leg([{ silenceMs: 10 }]).pcm, CODEC), caller.length, CODEC);
    board.setSecure(3, true, 'host');
    const out = play(board, clock, 3, caller, agent);
    expect(heard(caller, CODEC).map((d) => d.digit).join('')).toBe('4111'); // the input does carry them
    expect(heard(out.caller, CODEC).every((d) => d.digit === '#')).toBe(true);
    const m = masked(events);
    expect(m).toHaveLength(4);
    for (const e of m) {
      expect(Object.keys(e.fields).sort()).toEqual(['at_ms', 'ch', 'dur_ms', 'leg']);
      expect(e.fields).toMatchObject({ ch: 3, leg: 'caller' });
      // On the wire: the event carries where and how long, and nothing a digit could hide in.
      const wire = encodeEvent('MASKED', e.fields as never);
      expect(Object.values(wire).join(' ')).not.toMatch(/[*#A-D]/);
    }
    // Each window covers its tone (70 ms) plus the masker's padding, at the tone's place + the lookahead.
    const first = m[0].fields as { at_ms: number; dur_ms: number };
    expect(first.dur_ms).toBeGreaterThanOrEqual(70);
    expect(first.dur_ms).toBeLessThanOrEqual(95);
    expect(Math.abs(first.at_ms - (400 + 40))).toBeLessThanOrEqual(10);
    expectCovered(callerLeg.digits, events, 'caller');
  });

  it('outside secure mode passes both legs codeword for codeword (after the lookahead), digits included', () => {
    const { board, clock, events } = newBoard();
    const caller = codewords(leg([{ speechMs: 300, seed: 5 }, { digits: '1234' }, { speechMs: 200, seed: 6 }]).pcm, CODEC);
    const agent = fit(codewords(leg([{ digits: '58' }, { speechMs: 500, seed: 7 }]).pcm, CODEC), caller.length, CODEC);
    const out = play(board, clock, 1, caller, agent);
    const d = board.channels.get(1).delaySamples;
    expect(d).toBe(320);
    expect(out.caller.subarray(d)).toEqual(caller);
    expect(out.agent.subarray(d)).toEqual(agent);
    expect(masked(events)).toEqual([]);
  });

  it('outside secure mode any codewords pass unchanged after the lookahead, either law (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('alaw' as const, 'ulaw' as const), fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.uint8Array({ minLength: 1, maxLength: 2000 }), (codec, a, b) => {
        const n = Math.min(a.length, b.length);
        const c = new Channel(1, { codec, maskTone: '#', triggerCode: '*7' });
        const out = c.process(a.subarray(0, n), b.subarray(0, n));
        const tail = c.flush();
        const caller = Uint8Array.from([...out.caller, ...tail.caller]);
        const agent = Uint8Array.from([...out.agent, ...tail.agent]);
        expect(caller.subarray(c.delaySamples, c.delaySamples + n)).toEqual(a.subarray(0, n));
        // The agent leg too, unless noise happened to look like a digit that could begin the trigger
        // (masked, fail closed): random bytes are white noise, which the detector never follows.
        expect(agent.subarray(c.delaySamples, c.delaySamples + n)).toEqual(b.subarray(0, n));
      }),
      { numRuns: 40 },
    );
  });

  it('the output does not depend on how the stream is chunked (property)', () => {
    const caller = codewords(leg([{ digits: '90', toneMs: 60 }, { speechMs: 100, seed: 9 }]).pcm, CODEC);
    const agent = codewords(leg([{ digits: '*7', toneMs: 60 }, { silenceMs: 100 }]).pcm, CODEC).subarray(0, caller.length);
    const whole = (() => {
      const c = new Channel(1, { codec: CODEC, maskTone: '#', triggerCode: '*7' });
      c.secure = true;
      return c.process(caller, fit(agent, caller.length, CODEC));
    })();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const c = new Channel(1, { codec: CODEC, maskTone: '#', triggerCode: '*7' });
        c.secure = true;
        const ag = fit(agent, caller.length, CODEC);
        const outC = new Uint8Array(caller.length);
        const outA = new Uint8Array(caller.length);
        let i = 0;
        let k = 0;
        while (i < caller.length) {
          const j = Math.min(caller.length, i + sizes[k++ % sizes.length]);
          c.process(caller.subarray(i, j), ag.subarray(i, j), outC.subarray(i, j), outA.subarray(i, j));
          i = j;
        }
        expect(outC).toEqual(whole.caller);
        expect(outA).toEqual(whole.agent);
      }),
      { numRuns: 25 },
    );
  });

  it('secure mode switched off by the host lets later digits through unchanged', () => {
    const { board, clock } = newBoard();
    const caller = codewords(leg([{ digits: '55' }, { silenceMs: 300 }, { digits: '66' }, { silenceMs: 200 }]).pcm, CODEC);
    const agent = fit(new Uint8Array(0), caller.length, CODEC);
    board.setSecure(2, true);
    const out = play(board, clock, 2, caller, agent, (ms) => {
      if (ms === 500) board.setSecure(2, false);
    });
    expect(heard(out.caller, CODEC).map((d) => d.digit).join('')).toBe('##66');
  });
});

describe('channel: the agent keys the trigger code', () => {
  it('starts secure mode (source=trigger), masks the trigger digits on the agent leg, then masks the caller', () => {
    const { board, clock, events } = newBoard(); // trigger *7 (profile default)
    const agentLeg = leg([{ speechMs: 300, seed: 21 }, { digits: '*7' }, { silenceMs: 1500 }]);
    const callerLeg = leg([{ silenceMs: 900 }, { digits: '737', toneMs: 60, gapMs: 60 }, { silenceMs: 300 }]);
    const n = Math.max(agentLeg.pcm.length, callerLeg.pcm.length);
    const agent = fit(codewords(agentLeg.pcm, CODEC), n, CODEC);
    const caller = fit(codewords(callerLeg.pcm, CODEC), n, CODEC);
    const out = play(board, clock, 7, caller, agent);
    expect(secureEvents(events)).toEqual([{ ch: 7, state: true, source: 'trigger' }]);
    expect(board.secureMode(7).on).toBe(true);
    expect(heard(agent, CODEC).map((d) => d.digit).join('')).toBe('*7');
    expect(heard(out.agent, CODEC).every((d) => d.digit === '#')).toBe(true);
    expect(heard(out.caller, CODEC).every((d) => d.digit === '#')).toBe(true);
    expect(heard(out.caller, CODEC)).toHaveLength(3);
    const legs = masked(events).map((e) => (e.fields as { leg: string }).leg);
    expect(legs.filter((l) => l === 'agent')).toHaveLength(2);
    expect(legs.filter((l) => l === 'caller')).toHaveLength(3);
    expectCovered(agentLeg.digits, events, 'agent');
    expectCovered(callerLeg.digits, events, 'caller');
  });

  it('masks a fast, quiet trigger (45 ms tones and gaps, -24 dBm0) from its first codeword, on either law', () => {
    for (const profile of ['dual-e1', 'dual-t1']) {
      const clock = new ManualBoardClock(0);
      const board = createBoard(loadProfile(shippedProfilePath(profile)), { clock });
      const events: BoardEvent[] = [];
      board.on('event', (e) => events.push(e));
      const codec = board.channels.codec;
      const agentLeg = leg([{ speechMs: 200, seed: 41 }, { digits: '*7', toneMs: 45, gapMs: 45, levelDbm0: -24 }, { silenceMs: 400 }]);
      const agent = codewords(agentLeg.pcm, codec);
      const out = play(board, clock, 1, fit(new Uint8Array(0), agent.length, codec), agent);
      expect(secureEvents(events), profile).toEqual([{ ch: 1, state: true, source: 'trigger' }]);
      expectCovered(agentLeg.digits, events, 'agent');
      expect(heard(out.agent, codec).every((d) => d.digit === '#')).toBe(true);
    }
  });

  it('an agent digit that cannot start the code passes unchanged, and no secure mode starts', () => {
    const { board, clock, events } = newBoard();
    const agent = codewords(leg([{ digits: '58' }, { silenceMs: 300 }]).pcm, CODEC);
    const caller = fit(new Uint8Array(0), agent.length, CODEC);
    const out = play(board, clock, 1, caller, agent);
    expect(heard(out.agent, CODEC).map((d) => d.digit).join('')).toBe('58');
    expect(secureEvents(events)).toEqual([]);
  });

  it('a trigger keyed too slowly (gap over 3 s) does not start secure mode', () => {
    const { board, clock, events } = newBoard();
    const agent = codewords(leg([{ digits: '*' }, { silenceMs: 3200 }, { digits: '7' }, { silenceMs: 300 }]).pcm, CODEC);
    const caller = fit(new Uint8Array(0), agent.length, CODEC);
    const out = play(board, clock, 1, caller, agent);
    expect(secureEvents(events)).toEqual([]);
    // '*' could have started the code: masked (fail closed). '7' alone cannot continue it any more... but
    // it is the code's second digit, not its first, so it passes.
    expect(heard(out.agent, CODEC).map((d) => d.digit).join('')).toBe('#7');
  });
});

describe('channel: idle timeout', () => {
  it('ends secure mode with source=timeout after secure_idle_s without a digit, and a masked digit restarts the wait', () => {
    const { board, clock, events } = newBoard();
    board.setSecureIdle(2);
    expect(board.commit().changed).toEqual(['secure_idle']);
    board.setSecure(4, true);
    // 1.5 s of silence, a digit, 1.5 s of silence: never 2 s idle.
    const caller = codewords(leg([{ silenceMs: 1500 }, { digits: '9' }, { silenceMs: 1500 }]).pcm, CODEC);
    play(board, clock, 4, caller, fit(new Uint8Array(0), caller.length, CODEC));
    expect(board.secureMode(4).on).toBe(true);
    clock.advance(600);
    expect(board.channels.checkIdle()).toEqual([4]);
    expect(secureEvents(events)).toEqual([
      { ch: 4, state: true, source: 'host' },
      { ch: 4, state: false, source: 'timeout' },
    ]);
  });

  it('refuses an idle timeout out of range, changing nothing', () => {
    const { board } = newBoard();
    expect(() => board.setSecureIdle(0)).toThrow(/1 to 3600/);
    expect(() => board.setSecureIdle(3601)).toThrow(/1 to 3600/);
    expect(board.config('staged').secureIdleS).toBe(180);
  });
});
