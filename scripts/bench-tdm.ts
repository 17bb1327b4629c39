/**
 * The TDM data plane (firmware-sim/tdm/, firmware-sim/channel/): a 10 s call with a test PAN keyed
 * in secure mode, fed through the board's span models and channels on 1 and 60 timeslots of a
 * dual-E1 board. Figures are per CPU second (the machine is shared, wall time is not ours):
 * channel-seconds of audio processed per CPU second, i.e. how many channels one core keeps in real
 * time, span framing and both legs' maskers and detector included.
 */
import { loadProfile, shippedProfilePath } from '../hardware-profiles/schema.ts';
import { createBoard } from '../firmware-sim/board/create-board.ts';
import { ManualBoardClock } from '../firmware-sim/board/clock.ts';
import { TdmFeeder, type TdmSource } from '../firmware-sim/tdm/tdm-feeder.ts';
import { E1_BEARERS } from '../firmware-sim/tdm/timeslot-map.ts';
import type { DtmfKey } from '../src/dsp/dtmf-keys.ts';
import { encodeG711 } from '../src/dsp/g711.ts';
import { concat, dtmfTone, silence, toInt16 } from '../src/dsp/generator.ts';
import { speechLike } from '../src/dsp/mask-speech-like.ts';

const PAN = '4111111111111111'; // a test PAN
const call = encodeG711(
  'alaw',
  toInt16(concat(speechLike(4000, 3, -20), ...[...PAN].flatMap((k) => [dtmfTone({ key: k as DtmfKey, durationMs: 70 }), silence(70)]), speechLike(3760, 4, -20))),
);
const callS = call.length / 8000;

for (const n of [1, 60]) {
  const clock = new ManualBoardClock();
  const board = createBoard(loadProfile(shippedProfilePath('dual-e1')), { clock });
  const sources: TdmSource[] = Array.from({ length: n }, (_, i) => ({ span: 1 + Math.floor(i / 30), timeslot: E1_BEARERS[i % 30], caller: call }));
  for (let ch = 1; ch <= n; ch++) board.setSecure(ch, true);
  const c0 = process.cpuUsage();
  await new TdmFeeder(board, { clock }).run(sources);
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ name: `tdm_feeder_${n}ch_channel_seconds_per_cpu_second`, unit: 'channel-s/CPU-s', value: Math.round((n * callS) / cpuS) })}\n`);
}
