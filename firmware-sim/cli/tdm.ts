/**
 * `dtmfguard-sim tdm`: feeds E1/T1 timeslots of a simulated board from WAV files or scenario files
 * at the 8 kHz frame rate through the span model and the board's channels, and writes each
 * channel's masked legs to WAV files (and mirrors the caller leg as RTP). Prints where the files
 * went and how many digits were masked per channel; never a digit.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { loadProfile, shippedProfilePath, type HardwareProfile } from '../../hardware-profiles/schema.ts';
import { MASK_TONES, type MaskTone } from '../../src/dsp/dtmf-keys.ts';
import { encodeG711 } from '../../src/dsp/g711.ts';
import { DgError } from '../../src/errors.ts';
import type { BoardEvent } from '../board/board.ts';
import { ManualBoardClock } from '../board/clock.ts';
import { createBoard } from '../board/create-board.ts';
import { loadScenario, type Scenario } from '../scenario/schema.ts';
import { renderScenario } from '../scenario/render.ts';
import { RtpMirror } from '../tdm/rtp-mirror.ts';
import { TdmFeeder, type TdmSource } from '../tdm/tdm-feeder.ts';
import { channelOf } from '../tdm/timeslot-map.ts';
import { readLegs, writeCodewordsWav } from '../tdm/wav-legs.ts';

interface TdmCliOptions {
  profile: string;
  span: string;
  timeslot: string[];
  out: string;
  mirror?: string;
  secure?: boolean;
  maskTone?: MaskTone;
  trigger?: string;
  secureIdleS?: string;
  realtime?: boolean;
  json?: boolean;
}

/** A shipped profile's name (dual-e1) or a profile file. */
export function resolveProfile(spec: string): { path: string; profile: HardwareProfile } {
  const path = /^[a-z0-9-]+$/.test(spec) ? shippedProfilePath(spec) : spec;
  return { path, profile: loadProfile(path) };
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new DgError('DG5802', `${flag} ${JSON.stringify(text)}: give a whole number from ${min} to ${max}`);
  return Number(text);
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function register(program: Command): void {
  program
    .command('tdm')
    .description('feed E1/T1 timeslots from WAV or scenario files through the board at 8 kHz; write the masked legs to WAV (and RTP)')
    .option('--profile <name|file>', 'hardware profile: a shipped name (dual-e1, dual-t1) or a JSON file', 'dual-e1')
    .option('--span <n>', 'the span the --timeslot options are on', '1')
    .option('--timeslot <ts=file>', 'a timeslot and what it carries: a WAV (mono: caller; stereo: caller, agent) or a scenario .json; repeatable', collect, [])
    .requiredOption('--out <dir>', 'where to write span<S>-ts<T>-caller.wav and -agent.wav')
    .option('--mirror <addr:port>', 'also send each masked caller leg as RTP (SSRC = channel) to this address')
    .option('--secure', 'secure mode on for every fed channel from the start (as SET_SECURE would)')
    .addOption(new Option('--mask-tone <key>', "the mask tone (default: the first scenario's, else the profile's)").choices(MASK_TONES))
    .option('--trigger <code>', "the agent's trigger code (default: the profile's)")
    .option('--secure-idle-s <s>', 'secure mode idle timeout in seconds (default 180)')
    .option('--realtime', 'run at the real frame rate instead of as fast as possible')
    .option('--json', 'print the summary as one JSON document')
    .action(async (o: TdmCliOptions) => {
      const summary = await runTdm(o);
      if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        for (const c of summary.channels) {
          process.stdout.write(`span ${c.span} ts ${c.timeslot} (channel ${c.channel}): ${c.masked} digit(s) masked; ${c.callerWav}, ${c.agentWav}\n`);
        }
        if (summary.mirrored) process.stdout.write(`${summary.mirrored} RTP packets mirrored to ${o.mirror}\n`);
      }
    });
}

export async function runTdm(o: TdmCliOptions) {
  const { path: profilePath, profile } = resolveProfile(o.profile);
  if (profile.interfaces.spans.length === 0) throw new DgError('DG5803', `profile ${profilePath} (${profile.model}) has no E1/T1 spans; use dual-e1 or dual-t1`);
  if (o.timeslot.length === 0) throw new DgError('DG5806', 'nothing to feed: give at least one --timeslot TS=FILE, e.g. --timeslot 1=call.wav');
  const span = wholeNumber(o.span, '--span', 1, profile.interfaces.spans.length);
  const clock = new ManualBoardClock();
  const board = createBoard(profile, { clock });
  // Scenarios are read first: the first one's mask tone is the board's unless --mask-tone says otherwise.
  const scenarios = new Map<string, Scenario>();
  for (const spec of o.timeslot) {
    const file = /^\d{1,2}=(.+\.json)$/.exec(spec)?.[1];
    if (file && !scenarios.has(file)) scenarios.set(file, loadScenario(file));
  }
  const tone = o.maskTone ?? [...scenarios.values()][0]?.maskTone;
  if (tone) board.setMaskTone(tone);
  if (o.trigger !== undefined) {
    if (!/^[0-9*#]{1,8}$/.test(o.trigger)) throw new DgError('DG5802', `--trigger ${JSON.stringify(o.trigger)}: 1 to 8 of 0-9 * #`);
    board.setTrigger(o.trigger);
  }
  if (o.secureIdleS !== undefined) board.setSecureIdle(wholeNumber(o.secureIdleS, '--secure-idle-s', 1, 3600));
  board.commit();
  const codec = board.channels.codec;

  const sources: TdmSource[] = [];
  for (const spec of o.timeslot) {
    const m = /^(\d{1,2})=(.+)$/.exec(spec);
    if (!m) throw new DgError('DG5802', `--timeslot ${JSON.stringify(spec)}: expected TS=FILE, e.g. --timeslot 1=call.wav`);
    const timeslot = Number(m[1]);
    const file = m[2];
    if (file.endsWith('.json')) {
      const r = renderScenario(scenarios.get(file)!);
      sources.push({ span, timeslot, caller: encodeG711(codec, r.caller), agent: encodeG711(codec, r.agent), actions: r.actions });
    } else {
      sources.push({ span, timeslot, ...(await readLegs(file, codec)) });
    }
  }

  const counts = new Map<number, number>();
  const secureChanges: Array<{ ch: number; on: boolean; source: string }> = [];
  const alarms: Array<{ span: number; alarm: string; on: boolean; atMs: number }> = [];
  board.on('event', (e: BoardEvent) => {
    // Counts and secure-mode changes only: the events carry no digit, and neither does the summary.
    if (e.name === 'MASKED') counts.set(e.fields.ch, (counts.get(e.fields.ch) ?? 0) + 1);
    if (e.name === 'SECURE') secureChanges.push({ ch: e.fields.ch, on: e.fields.state, source: e.fields.source });
    if (e.name === 'ALARM') alarms.push({ span: e.fields.span, alarm: e.fields.alarm, on: e.fields.state, atMs: board.channels.nowMs() });
  });
  const mirror = o.mirror ? await RtpMirror.open(o.mirror, codec) : undefined;
  const feeder = new TdmFeeder(board, { clock, mirror, paced: o.realtime ?? false });
  if (o.secure) {
    // Channels are known only once the sources are; secure mode on before the first frame.
    for (const s of sources) board.setSecure(channelOf(profile, s.span, s.timeslot), true, 'host');
  }
  let result;
  try {
    result = await feeder.run(sources);
  } finally {
    await mirror?.close();
  }
  try {
    await mkdir(o.out, { recursive: true });
  } catch (e) {
    throw new DgError('DG5805', `cannot create ${o.out} (${(e as NodeJS.ErrnoException).code}); choose another --out directory`);
  }
  const channels = [];
  for (const r of result.outputs) {
    const base = join(o.out, `span${r.span}-ts${r.timeslot}`);
    await writeCodewordsWav(`${base}-caller.wav`, codec, r.caller);
    await writeCodewordsWav(`${base}-agent.wav`, codec, r.agent);
    channels.push({ span: r.span, timeslot: r.timeslot, channel: r.channel, callerWav: `${base}-caller.wav`, agentWav: `${base}-agent.wav`, masked: counts.get(r.channel) ?? 0 });
  }
  return {
    profile: profilePath,
    model: profile.model,
    codec,
    maskTone: board.maskTone,
    durationMs: result.durationMs,
    channels,
    secureChanges,
    alarms,
    skippedFaults: result.skippedFaults,
    mirrored: mirror?.sent ?? 0,
  };
}
