import { describe, expect, it } from 'vitest';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import { HANDLERS } from '../../../firmware-sim/server/handlers.ts';
import { COMMANDS } from '../../../src/protocol/commands.ts';
import { TriggerWatch } from '../../../firmware-sim/channel/trigger-watch.ts';

const ctx = { rebootAfterReply: () => {} };

describe('secure_idle_s on GET_TRIGGER / SET_TRIGGER (docs/protocol.md §11)', () => {
  it('is staged, answered with what was written, and committed as the part secure_idle', () => {
    const board = createBoard(loadProfile(shippedProfilePath('dual-t1')), { clock: new ManualBoardClock() });
    expect(HANDLERS.GET_TRIGGER(board, {}, ctx)).toEqual({ code: '*7', view: 'running', secure_idle_s: 180 });
    expect(HANDLERS.SET_TRIGGER(board, { secure_idle_s: 30 }, ctx)).toEqual({ code: '*7', secure_idle_s: 30 });
    // A code alone is answered as before (older hosts compare the whole answer).
    expect(HANDLERS.SET_TRIGGER(board, { code: '#5' }, ctx)).toEqual({ code: '#5' });
    expect(board.cfgStatus().pending).toEqual(['trigger', 'secure_idle']);
    expect(board.secureIdleS).toBe(180);
    board.commit();
    expect(board.secureIdleS).toBe(30);
    expect(HANDLERS.GET_TRIGGER(board, { view: 'staged' }, ctx)).toEqual({ code: '#5', view: 'staged', secure_idle_s: 30 });
  });

  it('refuses an empty request and an out-of-range value, changing nothing', () => {
    const board = createBoard(loadProfile(shippedProfilePath('dual-t1')), { clock: new ManualBoardClock() });
    expect(() => HANDLERS.SET_TRIGGER(board, {}, ctx)).toThrow(/code, secure_idle_s or both/);
    expect(() => HANDLERS.SET_TRIGGER(board, { code: '#1', secure_idle_s: 0 }, ctx)).toThrow(/secure_idle_s/);
    expect(board.cfgStatus().pending).toEqual([]);
    // The wire schema refuses what the board would refuse, before anything is sent.
    expect(COMMANDS.SET_TRIGGER.request.safeParse({ secure_idle_s: '3601' }).success).toBe(false);
    expect(COMMANDS.SET_TRIGGER.request.safeParse({ secure_idle_s: '60' }).success).toBe(true);
  });
});

describe('TriggerWatch', () => {
  it('matches the code, restarts on a wrong digit keeping a usable suffix, and forgets after the gap', () => {
    const w = new TriggerWatch('*7', 3000);
    expect(w.onDigit('*', 0)).toBe(false);
    expect(w.onDigit('7', 200)).toBe(true);
    expect(w.onDigit('*', 1000)).toBe(false);
    expect(w.onDigit('*', 1200)).toBe(false); // "**": the second * may still begin the code
    expect(w.onDigit('7', 1400)).toBe(true);
    expect(w.onDigit('*', 2000)).toBe(false);
    expect(w.inProgress(4000)).toBe(true);
    expect(w.inProgress(5001)).toBe(false);
    expect(w.onDigit('7', 5001)).toBe(false);
    expect(w.couldContinue('*', 6000)).toBe(true);
    expect(w.couldContinue('5', 6000)).toBe(false);
  });

  it('with an empty code never triggers and never holds a digit', () => {
    const w = new TriggerWatch('');
    expect(w.onDigit('*', 0)).toBe(false);
    expect(w.couldContinue('*', 0)).toBe(false);
  });
});
