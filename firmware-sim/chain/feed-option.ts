/**
 * `dtmfguard-sim --pty P --feed TS=FILE [--feed-span N] [--feed-delay-ms D | --feed-on-signal]
 * [--feed-secure host|feeder|skip] [--feed-faults host|feeder|skip] [--mirror ADDR:PORT]`:
 * timeslots of the running appliance fed from WAV files or scenario files in real time
 * (live-feed.ts), the masked caller legs mirrored as RTP. The options are added to the simulator's
 * default command by firmware-sim/cli/appliance.ts; everything else about them lives here.
 *
 * The feed starts `--feed-delay-ms` after the simulator serves, or, with `--feed-on-signal`, each
 * time the process gets SIGUSR2 (not SIGUSR1: Node.js keeps that one for its inspector). With
 * `--json` its progress comes as one JSON line per event on stdout (FeedEvent); people get a line
 * on stderr either way.
 */
import { Option, type Command } from 'commander';
import { encodeG711 } from '../../src/dsp/g711.ts';
import { DgError } from '../../src/errors.ts';
import type { Board } from '../board/board.ts';
import type { FaultRegistry } from '../faults/registry.ts';
import { renderScenario } from '../scenario/render.ts';
import { loadScenario } from '../scenario/schema.ts';
import { RtpMirror } from '../tdm/rtp-mirror.ts';
import { channelOf } from '../tdm/timeslot-map.ts';
import { readLegs } from '../tdm/wav-legs.ts';
import { ACTION_POLICIES, LiveFeed, type ActionPolicy, type FeedEvent, type LiveLane } from './live-feed.ts';

export interface FeedCliOptions {
  feed?: string[];
  feedSpan?: string;
  feedDelayMs?: string;
  feedOnSignal?: boolean;
  feedSecure?: ActionPolicy;
  feedFaults?: ActionPolicy;
  feedHoldTimeoutMs?: string;
}

export function addFeedOptions(cmd: Command): Command {
  return cmd
    .option('--feed <ts=file>', 'TDM models: feed a timeslot of the live board from a WAV (mono: caller; stereo: caller, agent) or a scenario .json, in real time; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--feed-span <n>', 'the span the --feed timeslots are on', '1')
    .option('--feed-delay-ms <ms>', 'start the feed this long after serving', '0')
    .option('--feed-on-signal', 'start the feed on SIGUSR2 instead (again on each SIGUSR2 once the previous one ended)')
    .addOption(new Option('--feed-secure <policy>', "a scenario's secure steps: host = hold until the host switches secure mode; feeder = switch it here; skip = ignore").choices(ACTION_POLICIES).default('feeder'))
    .addOption(new Option('--feed-faults <policy>', "a scenario's fault steps: host = hold until the rig socket switches the fault; feeder = switch it here; skip = ignore").choices(ACTION_POLICIES).default('feeder'))
    .option('--feed-hold-timeout-ms <ms>', 'longest hold at one step before the feed goes on without it', '30000');
}

function whole(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new DgError('DG5802', `${flag} ${JSON.stringify(text)}: give a whole number from ${min} to ${max}`);
  return Number(text);
}

/** Reads every --feed source up front, so a bad file stops the simulator before it serves (exit 2). */
export async function loadFeedLanes(board: Board, o: FeedCliOptions): Promise<LiveLane[]> {
  const specs = o.feed ?? [];
  if (specs.length === 0) return [];
  const spans = board.profile.interfaces.spans.length;
  if (spans === 0) throw new DgError('DG5803', `--feed needs an E1/T1 model; ${board.profile.model} has no spans (a SIP edge is fed with RTP)`);
  const span = whole(o.feedSpan ?? '1', '--feed-span', 1, spans);
  const codec = board.channels.codec;
  const lanes: LiveLane[] = [];
  for (const spec of specs) {
    const m = /^(\d{1,2})=(.+)$/.exec(spec);
    if (!m) throw new DgError('DG5802', `--feed ${JSON.stringify(spec)}: expected TS=FILE, e.g. --feed 1=call.wav`);
    const file = m[2];
    // The timeslot must carry a channel (E1: 1-15, 17-31); said now, not when the feed starts.
    channelOf(board.profile, span, Number(m[1]));
    if (file.endsWith('.json')) {
      const r = renderScenario(loadScenario(file));
      lanes.push({ span, timeslot: Number(m[1]), caller: encodeG711(codec, r.caller), agent: encodeG711(codec, r.agent), actions: r.actions });
    } else {
      lanes.push({ span, timeslot: Number(m[1]), ...(await readLegs(file, codec)) });
    }
  }
  return lanes;
}

function describe(e: FeedEvent): string {
  const act = (a: Extract<FeedEvent, { action: unknown }>['action']) =>
    a.kind === 'secure' ? `secure mode ${a.on ? 'on' : 'off'} on channel ${a.channel}` : `fault ${a.name} ${a.value}${a.span ? ` on span ${a.span}` : ''}${a.channel ? ` on channel ${a.channel}` : ''}`;
  switch (e.feed) {
    case 'start':
      return `feed: playing ${(e.scenarioMs / 1000).toFixed(1)} s on ${e.lanes.map((l) => `span ${l.span} ts ${l.timeslot} (channel ${l.channel})`).join(', ')}`;
    case 'hold':
      return `feed: holding at ${(e.atMs / 1000).toFixed(2)} s until ${act(e.action)} is done (by the host or the rig socket)`;
    case 'resume':
      return `feed: resumed after ${e.heldMs} ms${e.by === 'timeout' ? ' (hold timed out: going on without it)' : ''}`;
    case 'applied':
      return `feed: ${act(e.action)} at ${(e.atMs / 1000).toFixed(2)} s`;
    case 'done':
      return `feed: done${e.aborted ? ' (stopped)' : ''}, ${e.streamMs} ms streamed, ${e.mirrored} RTP packets mirrored`;
  }
}

export interface FeedRunner {
  stop(): Promise<void>;
}

/** Arms the feed (delay or SIGUSR2); nothing to do without --feed. */
export async function armFeed(board: Board, faults: FaultRegistry, lanes: LiveLane[], o: FeedCliOptions & { mirror?: string; json?: boolean }, log: (m: string) => void): Promise<FeedRunner> {
  if (lanes.length === 0) return { stop: async () => undefined };
  const delay = whole(o.feedDelayMs ?? '0', '--feed-delay-ms', 0, 3_600_000);
  const holdTimeoutMs = whole(o.feedHoldTimeoutMs ?? '30000', '--feed-hold-timeout-ms', 1, 3_600_000);
  const mirror = o.mirror ? await RtpMirror.open(o.mirror, board.channels.codec) : undefined;
  const abort = new AbortController();
  const feed = new LiveFeed(board, {
    faults,
    mirror,
    secure: o.feedSecure,
    faultPolicy: o.feedFaults,
    holdTimeoutMs,
    signal: abort.signal,
    onEvent: (e) => {
      if (o.json) process.stdout.write(`${JSON.stringify(e)}\n`);
      log(describe(e));
    },
  });
  let current: Promise<unknown> | null = null;
  const play = () => {
    if (feed.busy) {
      log('feed: already playing; signal ignored');
      return;
    }
    current = feed.run(lanes).catch((e: Error) => log(`feed failed: ${e.message}`));
  };
  let timer: NodeJS.Timeout | undefined;
  if (o.feedOnSignal) {
    process.on('SIGUSR2', play);
    log(`feed armed: send SIGUSR2 to process ${process.pid} to play it`);
  } else timer = setTimeout(play, delay);
  return {
    stop: async () => {
      clearTimeout(timer);
      process.off('SIGUSR2', play);
      abort.abort();
      await current;
      await mirror?.close();
    },
  };
}
