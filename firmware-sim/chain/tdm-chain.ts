/**
 * The chain on an E1/T1 appliance, every part a real program: the simulated board on a socat pty
 * with its timeslot fed from the scenario in real time (`dtmfguard-sim --feed`, live-feed.ts), the
 * daemon over serialport, the installer's mask tone through the CLI, tcpdump on the port the board
 * mirrors its masked channels to, then the verifier over that capture, /metrics and the Nagios check.
 *
 * Who does the scenario's steps, and why:
 *   - secure on/off: the host, `dtmfguard secure on|off --channel N` through the daemon, as an agent's
 *     desktop would. A CLI process takes about a second, longer than the gaps a call leaves (300 ms
 *     in e1-ivr-with-alarm), so the feed *holds* at each step (idle flows on the timeslot, the call
 *     goes on) until the board shows the host's change; the holds are reported and the expectations
 *     map scenario time to stream time through them.
 *   - faults: the rig, `dtmfguard-sim fault --rig-socket R NAME VALUE`, held the same way; the board's
 *     own span models then raise and clear the alarms the daemon reports. Before a fault goes off the
 *     chain waits for the expected alarm on /metrics and runs `dtmfguard check` (CRITICAL expected).
 * Alarm persistence is shortened (`--alarm-timing-ms`, 500 ms to declare, 1 s to clear, instead
 * of 2.5 s / 10 s) so a call of a few seconds sees an alarm raised and cleared.
 */
import { writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { renderScenario } from '../scenario/render.ts';
import type { ActionView, FeedEvent } from './live-feed.ts';
import type { ChainOptions, ChainResult } from './chain.ts';
import { evaluateExpectations, type AlarmObservation } from './expectations.ts';
import { DTMFGUARD_BIN, DTMFGUARD_SIM_BIN, ProcessGroup, freeTcpPort, freeUdpPort, runToEnd, waitUntil, type Started } from './processes.ts';
import { sampleOf, scrapeText, sumOf } from './scrape.ts';
import { HostTranscript, verifyAndCheck } from './host-finish.ts';
import { mirrorCaptureArgs } from './mirror-capture.ts';

/** The timeslot the call is fed on (span 1): channel 1 of the board. */
const TIMESLOT = 1;
/** Default alarm persistence for the chain: declare, clear (ms). */
export const CHAIN_ALARM_TIMING_MS: readonly [number, number] = [500, 1000];

export interface TdmChainOptions extends ChainOptions {
  /** The hardware profile file the simulator runs (a TDM model). */
  profilePath: string;
  /** Alarm declare and clear times of the simulated spans; default CHAIN_ALARM_TIMING_MS. */
  alarmTimingMs?: readonly [number, number];
}

/** JSON lines of a child's stdout, one callback per object. */
function onJsonLines(proc: Started, fn: (o: Record<string, unknown>) => void): void {
  let buf = '';
  proc.child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        fn(JSON.parse(line));
      } catch {
        // not one of ours
      }
    }
  });
}

export async function runTdmChain(opts: TdmChainOptions, work: string): Promise<ChainResult> {
  const say = opts.say ?? (() => undefined);
  const scenario = opts.scenario;
  const [declareMs, clearMs] = opts.alarmTimingMs ?? CHAIN_ALARM_TIMING_MS;
  const env = { DTMFGUARD_LOCK_DIR: work, DTMFGUARD_RUN_DIR: work, DTMFGUARD_AUDIT_LOG: join(work, 'audit.jsonl') };
  const pty = join(work, 'ttyDG0');
  const rig = join(work, 'rig.sock');
  const capture = join(work, 'mirror.pcap');
  const report = join(work, 'report.html');
  const scenarioFile = join(work, 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  const [mirror, http] = [await freeUdpPort(), await freeTcpPort()];
  const metricsUrl = `http://127.0.0.1:${http}/metrics`;
  const group = new ProcessGroup();
  const transcript = new HostTranscript();
  const cli = (bin: string, args: string[], e: NodeJS.ProcessEnv = {}) => transcript.cli(bin, args, e);
  const t0 = Date.now();
  const stamp = (line: string) => say(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const rendered = renderScenario(scenario);
  const alarms: AlarmObservation[] = scenario.expect.alarms.map((a) => ({ name: a.name, span: a.span, raised: false, cleared: false }));
  let watcher: NodeJS.Timeout | undefined;
  // The recorder: something listens on the mirror port, as on a real site. Without a listener the
  // kernel answers ICMP port unreachable, and the board's connected mirror socket then fails sends.
  const recorder = createSocket('udp4');
  let recorded = 0;
  recorder.on('message', () => recorded++);
  await new Promise<void>((r) => recorder.bind(mirror, '127.0.0.1', () => r()));
  try {
    stamp(`simulated appliance (${scenario.profile}) on ${pty}, span 1 timeslot ${TIMESLOT} fed from the scenario`);
    const sim = group.node('simulator', DTMFGUARD_SIM_BIN, [
      '--pty', pty, '--profile', opts.profilePath, '--rig-socket', rig, '--mirror', `127.0.0.1:${mirror}`,
      '--alarm-timing-ms', `${declareMs},${clearMs}`,
      '--feed', `${TIMESLOT}=${scenarioFile}`, '--feed-span', '1', '--feed-on-signal',
      '--feed-secure', opts.disableMasking ? 'skip' : 'host', '--feed-faults', 'host', '--json',
    ]);
    const events: FeedEvent[] = [];
    const waiting: Array<(e: FeedEvent) => void> = [];
    onJsonLines(sim, (o) => {
      if (typeof o.feed !== 'string') return;
      events.push(o as unknown as FeedEvent);
      for (const w of waiting) w(o as unknown as FeedEvent);
    });
    await waitUntil('the simulator', () => /feed armed/.test(sim.output()) || sim.child.exitCode !== null);
    if (sim.child.exitCode !== null) throw new Error(`the simulator stopped: ${sim.output().trim()}`);

    group.node('daemon', DTMFGUARD_BIN, ['serve', '--port', pty, '--http', `127.0.0.1:${http}`, '--poll-ms', '500'], env);
    await waitUntil('the control link', async () => (await fetch(`http://127.0.0.1:${http}/readyz`).catch(() => undefined))?.status === 200);
    const info = JSON.parse((await cli(DTMFGUARD_BIN, ['info', '--json', '--port', pty], env)).stdout);
    stamp(`link up: ${info.identity.model} serial ${info.identity.serial}, firmware ${info.firmware.version}, ${info.profile.channels} channels`);

    // The installer's part: the site's mask tone, as one audited transaction.
    const cfg = join(work, 'site.json');
    writeFileSync(cfg, JSON.stringify({ maskTone: scenario.maskTone }));
    const applied = await cli(DTMFGUARD_BIN, ['config', 'apply', cfg, '--port', pty], env);
    if (applied.status !== 0) throw new Error(`configuration refused: ${applied.stderr.trim()}`);
    stamp(`configured: mask tone ${scenario.maskTone}; the board mirrors its masked channels to 127.0.0.1:${mirror}`);

    const dump = group.start('tcpdump', 'tcpdump', mirrorCaptureArgs(capture, mirror));
    await waitUntil('tcpdump', () => /listening on/.test(dump.output()) || dump.child.exitCode !== null);
    if (dump.child.exitCode !== null) throw new Error(`tcpdump did not start: ${dump.output().trim()}`);
    stamp(`capturing the mirror port with tcpdump into ${capture}`);

    // The NOC's view while the call runs: masked digits and the expected alarms, from /metrics.
    let lastMasked = 0;
    const checksDuring: Array<Promise<unknown>> = [];
    watcher = setInterval(async () => {
      const text = await scrapeText(metricsUrl);
      if (!text) return;
      const masked = sumOf(text, 'dtmfguard_masked_digits_total');
      if (masked > lastMasked) {
        lastMasked = masked;
        stamp(`digit masked (${masked} so far)`);
      }
      for (const a of alarms) {
        const v = sampleOf(text, 'dtmfguard_span_alarm', { span: String(a.span), alarm: a.name });
        if (v === 1 && !a.raised) {
          a.raised = true;
          stamp(`span ${a.span} alarm ${a.name} raised (/metrics)`);
          checksDuring.push(
            cli(DTMFGUARD_BIN, ['check', '--port', pty], env).then((c) => {
              a.checkDuring = { exitCode: c.status, line: c.stdout.trim() };
              stamp(`check during the alarm: ${c.stdout.trim().split(' | ')[0]}`);
            }),
          );
        } else if (v === 0 && a.raised && !a.cleared) {
          a.cleared = true;
          stamp(`span ${a.span} alarm ${a.name} cleared (/metrics)`);
        }
      }
    }, 250);

    // The agent's desktop and the rig act whenever the feed holds for them.
    const act = async (a: ActionView) => {
      if (a.kind === 'secure') {
        const r = await cli(DTMFGUARD_BIN, ['secure', a.on ? 'on' : 'off', '--channel', String(a.channel), '--port', pty], env);
        stamp(r.status === 0 ? `secure mode ${a.on ? 'ON' : 'off'} on channel ${a.channel} (dtmfguard secure)` : `secure mode change FAILED: ${r.stderr.trim()}`);
        return;
      }
      const watched = alarms.filter((x) => (x.span === a.span || a.span === undefined) && a.value === 'off' && x.name === a.name);
      if (watched.length > 0) {
        // Check CRITICAL while the fault still holds: wait for the alarm and the check first.
        await waitUntil(`the ${a.name} alarm on /metrics`, () => watched.every((x) => x.raised), declareMs + 10_000).catch(() => undefined);
        await Promise.all(checksDuring);
      }
      const args = ['fault', '--rig-socket', rig, a.name, a.value, ...(a.span ? ['--span', String(a.span)] : []), ...(a.channel ? ['--channel', String(a.channel)] : [])];
      const r = await runToEnd(DTMFGUARD_SIM_BIN, args);
      stamp(r.status === 0 ? `fault ${a.name} ${a.value} (dtmfguard-sim fault)` : `fault ${a.name} FAILED: ${r.stderr.trim()}`);
    };
    let acting = Promise.resolve();
    const done = new Promise<Extract<FeedEvent, { feed: 'done' }>>((resolve, reject) => {
      waiting.push((e) => {
        if (e.feed === 'hold') acting = acting.then(() => act(e.action));
        else if (e.feed === 'resume' && e.by === 'timeout') stamp('a hold timed out: the feed went on without the step');
        else if (e.feed === 'done') resolve(e);
      });
      sim.exited.then((code) => reject(new Error(`the simulator stopped (exit ${code}) before the feed ended: ${sim.output().trim().split('\n').slice(-3).join(' / ')}`)));
      opts.signal?.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
    });
    if (opts.disableMasking) stamp('masking disabled (negative control): the feed skips the scenario\'s secure steps, so every digit must reach the mirror as keyed');
    stamp(`call starts: scenario ${scenario.name}, ${(rendered.durationMs / 1000).toFixed(1)} s, ${rendered.keyed.filter((k) => k.leg === 'caller').length} digits to key`);
    sim.child.kill('SIGUSR2');
    const fed = await done;
    await acting;
    stamp(`call done: ${fed.streamMs} ms streamed (${fed.holds.reduce((n, h) => n + h.ms, 0)} ms of it held for the host and the rig), ${fed.mirrored} RTP packets mirrored, ${recorded} reached the recorder port`);

    if (alarms.length > 0) {
      await waitUntil('the alarms to clear', () => alarms.every((a) => !a.raised || a.cleared), clearMs + 10_000).catch(() => undefined);
    }
    clearInterval(watcher);
    watcher = undefined;
    await Promise.all(checksDuring);
    // The last packets are in flight on loopback for a moment.
    await new Promise((r) => setTimeout(r, 300));
    dump.child.kill('SIGINT');
    await dump.exited;

    const { maskedDigitsReported, verify, check: checkLine } = await verifyAndCheck({ transcript, capture, report, maskTone: scenario.maskTone, pty, env, metricsUrl, stamp });
    transcript.add(group.find('daemon')?.output() ?? '');
    transcript.addFile(join(work, 'audit.jsonl'));
    transcript.addFile(report);
    const start = events.find((e): e is Extract<FeedEvent, { feed: 'start' }> => e.feed === 'start');
    const channel = start?.lanes[0]?.channel ?? 1;
    // Scenario time to stream time: the leads, then every hold and every gap the line made before it.
    const shifts = [...fed.holds, ...(fed.gaps ?? [])];
    const toStreamMs = (ms: number) => ms + fed.offsetMs + shifts.filter((h) => h.atScenarioMs <= ms).reduce((n, h) => n + h.ms, 0);
    const gapMs = (fed.gaps ?? []).reduce((n, g) => n + g.ms, 0);
    if (gapMs !== 0) stamp(`the line inserted ${gapMs} ms of idle by itself (late steps on a busy machine), accounted for`);
    const expectations = evaluateExpectations(scenario, rendered, { toStreamMs }, verify.digits, { maskedDigitsReported, disableMasking: Boolean(opts.disableMasking), alarms, checkAfter: checkLine });
    return {
      ok: expectations.every((e) => e.ok),
      scenario: scenario.name,
      mode: 'tdm',
      workDir: work,
      capture,
      report,
      metricsUrl,
      keyedInSecureMode: rendered.keyed.filter((k) => k.secure && k.leg === 'caller').length,
      keyedOutside: rendered.keyed.filter((k) => !k.secure && k.leg === 'caller').length,
      maskedDigitsReported,
      verify,
      check: checkLine,
      expectations,
      alarms,
      feed: { offsetMs: fed.offsetMs, streamMs: fed.streamMs, holds: fed.holds, gaps: fed.gaps ?? [] },
      // What fed the board: the mirror's packets (SSRC = channel), the holds inserted as idle.
      caller: { audioPackets: fed.mirrored, eventPackets: 0, ssrc: channel, durationMs: fed.streamMs, refused: 0, inserted: fed.holds },
      hostOutput: transcript.text(),
    };
  } finally {
    if (watcher) clearInterval(watcher);
    recorder.close();
    await group.stopAll();
  }
}
