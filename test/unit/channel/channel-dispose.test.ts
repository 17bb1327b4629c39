import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadProfile, shippedProfilePath } from '../../../hardware-profiles/schema.ts';
import { createBoard } from '../../../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../../../firmware-sim/board/clock.ts';
import type { BoardEvent } from '../../../firmware-sim/board/board.ts';
import { EngineChannel } from '../../../src/dsp/engine-channel.ts';
import { codewords, fit, leg } from './call-audio.ts';

/**
 * A channel's two maskers hold their state in the DSP kernel's memory; the collector would free it
 * only when it runs, so a board reconfigured or rebooted often must free it itself. Checked by
 * watching which maskers are disposed (a spy: this is a unit test), then that the board goes on masking.
 */
const TEN_MS = 80;

function newBoard() {
  const clock = new ManualBoardClock(5_000);
  const board = createBoard(loadProfile(shippedProfilePath('dual-e1')), { clock, serial: 'DG2E1-000001' });
  const events: BoardEvent[] = [];
  board.on('event', (e) => events.push(e));
  return { board, clock, events };
}

/** 200 ms of a keyed '5' on the caller leg of channel `ch`, silence on the agent leg, in 10 ms steps. */
function keyFive(board: ReturnType<typeof newBoard>['board'], clock: ManualBoardClock, ch: number): void {
  const caller = codewords(leg([{ digits: '5', toneMs: 120, gapMs: 80 }]).pcm, 'alaw');
  const agent = fit(new Uint8Array(0), caller.length, 'alaw');
  for (let i = 0; i < caller.length; i += TEN_MS) {
    board.channels.process(ch, caller.subarray(i, i + TEN_MS), agent.subarray(i, i + TEN_MS));
    clock.advance(10);
  }
  board.channels.get(ch).flush();
}

describe('channel memory is freed when its maskers are replaced or the board reboots', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a new mask tone disposes exactly the two replaced maskers of each channel', () => {
    const { board } = newBoard();
    board.channels.get(1);
    board.channels.get(2);
    const spy = vi.spyOn(EngineChannel.prototype, 'dispose');
    board.setMaskTone('0');
    board.commit();
    expect(spy).toHaveBeenCalledTimes(4);
    expect(new Set(spy.mock.contexts).size).toBe(4);
    // Committing the same tone again rebuilds nothing.
    board.setMaskTone('0');
    board.commit();
    expect(spy).toHaveBeenCalledTimes(4);
  });

  it('a reboot disposes every channel, and the rebooted board masks with fresh channels', () => {
    const { board, clock, events } = newBoard();
    board.setSecure(1, true);
    keyFive(board, clock, 1);
    board.channels.get(3);
    const spy = vi.spyOn(EngineChannel.prototype, 'dispose');
    board.boot('reboot');
    expect(spy).toHaveBeenCalledTimes(4);
    spy.mockRestore();
    const before = events.filter((e) => e.name === 'MASKED').length;
    board.setSecure(1, true);
    keyFive(board, clock, 1);
    expect(events.filter((e) => e.name === 'MASKED').length).toBe(before + 1);
  });
});
