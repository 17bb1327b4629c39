/**
 * The whole product on one machine, as a rig or a newcomer runs it: the simulated SIP edge board on
 * a pty, the daemon attached to it, the installer's configuration through the CLI, a caller playing
 * a scenario as real RTP through the board's relay on loopback, tcpdump on the mirror port, then the
 * verifier over that capture, /metrics and the Nagios check. The scenario's expectations decide.
 * A scenario written for an E1/T1 model runs the TDM chain instead (tdm-chain.ts): the board's
 * timeslot fed from the scenario while the daemon drives it, its masked channel mirrored as RTP.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderScenario } from '../scenario/render.ts';
import type { Scenario } from '../scenario/schema.ts';
import { DgError } from '../../src/errors.ts';
import { playScenarioRtp, type RtpCallerResult } from './rtp-caller.ts';
import { DTMFGUARD_BIN, DTMFGUARD_SIM_BIN, PROFILE_DIR, ProcessGroup, freeTcpPort, freeUdpPort, runToEnd, waitUntil } from './processes.ts';
import { evaluateExpectations, type AlarmObservation, type Expectation, type FoundDigit } from './expectations.ts';
import { scrapeSum } from './scrape.ts';
import { HostTranscript, verifyAndCheck } from './host-finish.ts';
import { runTdmChain } from './tdm-chain.ts';
import { loadProfile } from '../../hardware-profiles/schema.ts';
import { mirrorCaptureArgs } from './mirror-capture.ts';

export interface ChainOptions {
  scenario: Scenario;
  /** Where the pty, capture, audit log and report go; a fresh temporary folder by default. */
  workDir?: string;
  /** Keep the work folder afterwards (the report and capture are in it). */
  keep?: boolean;
  /** Negative control: never switch secure mode on, so every digit reaches the mirror unmasked. */
  disableMasking?: boolean;
  /** Progress lines for people (never a digit value). */
  say?: (line: string) => void;
  signal?: AbortSignal;
  /** TDM chain: span alarm declare and clear times in ms (default 500, 1000: see tdm-chain.ts). */
  alarmTimingMs?: readonly [number, number];
}

export interface ChainResult {
  ok: boolean;
  scenario: string;
  /** Which chain ran: the SIP edge relay, or an E1/T1 board fed from the scenario (absent: SIP edge). */
  mode?: 'sip-edge' | 'tdm';
  workDir: string;
  capture: string;
  report: string;
  metricsUrl: string;
  keyedInSecureMode: number;
  keyedOutside: number;
  maskedDigitsReported: number;
  verify: { exitCode: number | null; result: string; digits: FoundDigit[] };
  check: { exitCode: number | null; line: string };
  expectations: Expectation[];
  /** The scenario's expected span alarms as watched on /metrics (TDM chain). */
  alarms?: AlarmObservation[];
  /**
   * TDM chain: where the call sits in the mirrored stream: both leads (`offsetMs`), the holds for
   * the host and the rig, and the idle the line inserted by itself (live-feed.ts).
   */
  feed?: { offsetMs: number; streamMs: number; holds: Array<{ atScenarioMs: number; ms: number }>; gaps: Array<{ atScenarioMs: number; ms: number }> };
  /** What fed the board; on the TDM chain: mirrored packets, SSRC = channel, holds as `inserted`. */
  caller: Omit<RtpCallerResult, 'toStreamMs'>;
  /**
   * Every byte the host side wrote during the run: the daemon's log, the CLI's output, /metrics,
   * the audit log, the verifier's JSON and HTML report. Rigs scan it for card data.
   */
  hostOutput: string;
}

/** The profile file a scenario names, and whether it is a TDM model (E1/T1 spans, no SIP edge). */
function chainKind(scenario: Scenario): { profilePath: string; tdm: boolean } {
  const profilePath = join(PROFILE_DIR, `${scenario.profile}.json`);
  if (!existsSync(profilePath)) throw new DgError('DG5209', `scenario ${scenario.name} is written for profile ${scenario.profile}, which is not in hardware-profiles/; use sip-edge, dual-e1 or dual-t1`);
  const profile = loadProfile(profilePath);
  return { profilePath, tdm: !profile.interfaces.sip && profile.interfaces.spans.length > 0 };
}

export async function runChain(opts: ChainOptions): Promise<ChainResult> {
  const kind = chainKind(opts.scenario);
  if (kind.tdm) {
    const work = opts.workDir ?? mkdtempSync(join(tmpdir(), 'dtmfguard-chain-'));
    try {
      return await runTdmChain({ ...opts, profilePath: kind.profilePath }, work);
    } finally {
      if (!opts.keep && !opts.workDir) rmSync(work, { recursive: true, force: true });
    }
  }
  return runSipChain(opts);
}

async function runSipChain(opts: ChainOptions): Promise<ChainResult> {
  const say = opts.say ?? (() => undefined);
  const scenario = opts.scenario;
  const work = opts.workDir ?? mkdtempSync(join(tmpdir(), 'dtmfguard-chain-'));
  const env = { DTMFGUARD_LOCK_DIR: work, DTMFGUARD_RUN_DIR: work, DTMFGUARD_AUDIT_LOG: join(work, 'audit.jsonl') };
  const pty = join(work, 'ttyDG0');
  const rig = join(work, 'rig.sock');
  const capture = join(work, 'mirror.pcap');
  const report = join(work, 'report.html');
  const [listen, forward, mirror, http] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort(), await freeTcpPort()];
  const metricsUrl = `http://127.0.0.1:${http}/metrics`;
  const group = new ProcessGroup();
  const transcript = new HostTranscript();
  const cli = (bin: string, args: string[], e: NodeJS.ProcessEnv = {}) => transcript.cli(bin, args, e);
  const t0 = Date.now();
  const stamp = (line: string) => say(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const agent = createSocket('udp4');
  let agentPackets = 0;
  agent.on('message', () => agentPackets++);
  await new Promise<void>((r) => agent.bind(forward, '127.0.0.1', () => r()));
  try {
    stamp(`simulated appliance (${scenario.profile}) on ${pty}`);
    const sim = group.node('simulator', DTMFGUARD_SIM_BIN, ['--pty', pty, '--profile', join(PROFILE_DIR, `${scenario.profile}.json`), '--rig-socket', rig, '--mirror', `127.0.0.1:${mirror}`]);
    await waitUntil('the simulator', () => /serving/.test(sim.output()) || sim.child.exitCode !== null);
    if (sim.child.exitCode !== null) throw new Error(`the simulator stopped: ${sim.output().trim()}`);

    group.node('daemon', DTMFGUARD_BIN, ['serve', '--port', pty, '--http', `127.0.0.1:${http}`, '--poll-ms', '500'], env);
    await waitUntil('the control link', async () => (await fetch(`http://127.0.0.1:${http}/readyz`).catch(() => undefined))?.status === 200);
    const info = JSON.parse((await cli(DTMFGUARD_BIN, ['info', '--json', '--port', pty], env)).stdout);
    stamp(`link up: ${info.identity.model} serial ${info.identity.serial}, firmware ${info.firmware.version}, ${info.profile.channels} channels`);

    // The installer's part: mask tone and the SIP edge addresses, as one audited transaction.
    const cfg = join(work, 'site.json');
    writeFileSync(cfg, JSON.stringify({ maskTone: scenario.maskTone, sip: { listen: `127.0.0.1:${listen}`, forward: `127.0.0.1:${forward}`, ptPcmu: 0, ptPcma: 8, ptEvent: 101 } }));
    const applied = await cli(DTMFGUARD_BIN, ['config', 'apply', cfg, '--port', pty], env);
    if (applied.status !== 0) throw new Error(`configuration refused: ${applied.stderr.trim()}`);
    stamp(`configured: mask tone ${scenario.maskTone}, RTP in on 127.0.0.1:${listen}, agent on :${forward}, mirror on :${mirror}`);

    const dump = group.start('tcpdump', 'tcpdump', mirrorCaptureArgs(capture, mirror));
    await waitUntil('tcpdump', () => /listening on/.test(dump.output()) || dump.child.exitCode !== null);
    if (dump.child.exitCode !== null) throw new Error(`tcpdump did not start: ${dump.output().trim()}`);
    stamp(`capturing the mirror port with tcpdump into ${capture}`);

    const rendered = renderScenario(scenario);
    let lastMasked = 0;
    const watcher = setInterval(async () => {
      const masked = await scrapeSum(metricsUrl, 'dtmfguard_masked_digits_total');
      if (masked > lastMasked) {
        lastMasked = masked;
        stamp(`digit masked (${masked} so far)`);
      }
    }, 250);
    stamp(`caller starts: scenario ${scenario.name}, ${(rendered.durationMs / 1000).toFixed(1)} s, ${rendered.keyed.filter((k) => k.leg === 'caller').length} digits to key`);
    let caller: RtpCallerResult;
    try {
      caller = await playScenarioRtp(rendered, {
        to: `127.0.0.1:${listen}`,
        codec: scenario.codec,
        packetMs: scenario.packetMs,
        signal: opts.signal,
        onAction: async (a) => {
          if (a.kind === 'secure') {
            if (opts.disableMasking) {
              stamp(`secure mode ${a.on ? 'on' : 'off'} skipped (masking disabled: negative control)`);
              return;
            }
            const r = await cli(DTMFGUARD_BIN, ['secure', a.on ? 'on' : 'off', '--channel', '1', '--port', pty], env);
            stamp(r.status === 0 ? `secure mode ${a.on ? 'ON' : 'off'} on channel 1` : `secure mode change FAILED: ${r.stderr.trim()}`);
          } else {
            const args = ['fault', '--rig-socket', rig, a.name, String(a.value), ...(a.span ? ['--span', String(a.span)] : []), ...(a.channel ? ['--channel', String(a.channel)] : [])];
            const r = await runToEnd(DTMFGUARD_SIM_BIN, args);
            stamp(r.status === 0 ? `fault ${a.name} ${a.value}` : `fault ${a.name} FAILED: ${r.stderr.trim()}`);
          }
        },
      });
    } finally {
      await new Promise((r) => setTimeout(r, 1200));
      clearInterval(watcher);
    }
    stamp(`caller done: ${caller.audioPackets} audio and ${caller.eventPackets} event packets sent, ${agentPackets} reached the agent`);
    dump.child.kill('SIGINT');
    await dump.exited;

    const { maskedDigitsReported, verify, check } = await verifyAndCheck({ transcript, capture, report, maskTone: scenario.maskTone, pty, env, metricsUrl, stamp });
    transcript.add(group.find('daemon')?.output() ?? '');
    transcript.addFile(join(work, 'audit.jsonl'));
    transcript.addFile(report);
    const expectations = evaluateExpectations(scenario, rendered, caller, verify.digits, { maskedDigitsReported, disableMasking: Boolean(opts.disableMasking) });
    const { toStreamMs: _drop, ...callerStats } = caller;
    return {
      ok: expectations.every((e) => e.ok),
      scenario: scenario.name,
      mode: 'sip-edge',
      workDir: work,
      capture,
      report,
      metricsUrl,
      keyedInSecureMode: rendered.keyed.filter((k) => k.secure && k.leg === 'caller').length,
      keyedOutside: rendered.keyed.filter((k) => !k.secure && k.leg === 'caller').length,
      maskedDigitsReported,
      verify,
      check,
      expectations,
      caller: callerStats,
      hostOutput: transcript.text(),
    };
  } finally {
    agent.close();
    await group.stopAll();
    if (!opts.keep && !opts.workDir) rmSync(work, { recursive: true, force: true });
  }
}
