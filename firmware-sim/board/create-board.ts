import type { HardwareProfile } from '../../hardware-profiles/schema.ts';
import { Board, type BoardOptions } from './board.ts';
import { firmwareVerifier } from './firmware-verifier.ts';

/** A board for `profile` that checks uploaded firmware with firmware-sim/firmware/ (see BoardOptions). */
export function createBoard(profile: HardwareProfile, options: Partial<BoardOptions> = {}): Board {
  return new Board(profile, { verifyImage: firmwareVerifier(profile.model), ...options });
}
