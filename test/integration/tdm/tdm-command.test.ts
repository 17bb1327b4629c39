import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav } from '../../../src/audio/wav-writer.ts';
import { interleaveInt16 } from '../../../src/audio/sample-decode.ts';
import type { DtmfKey } from '../../../src/dsp/dtmf-keys.ts';
import { detectDigits } from '../../../src/dsp/detector.ts';
import { decodeAlaw } from '../../../src/dsp/g711.ts';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import { speechLike } from '../../../src/dsp/mask-speech-like.ts';
import { parseRtp } from '../../../src/rtp/packet.ts';
import { run, DTMFGUARD, DTMFGUARD_SIM } from '../cli/verify-helpers.ts';

/**
 * `dtmfguard-sim tdm` as a rig runs it: timeslots of a simulated E1/T1 board fed from WAV and
 * scenario files through the span model and the board's channels, the masked output judged by
 * the real `dtmfguard verify`.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PAN = '4111111111111111'; // a test PAN, never a real card number
let dir: string;
const f = (name: string) => join(dir, name);

function keyed(keys: string, toneMs: number, gapMs: number, levelDbm0: number): Float64Array {
  return concat(...[...keys].flatMap((k) => [dtmfTone({ key: k as DtmfKey, durationMs: toneMs, levelDbm0 }), silence(gapMs)]));
}
function writeWav(path: string, legs: Float64Array[]): void {
  const n = Math.max(...legs.map((l) => l.length));
  const pcm = legs.map((l) => toInt16(concat(l, silence(((n - l.length) / 8) | 0))).subarray(0, n));
  writeFileSync(path, encodeWav({ encoding: 'pcm_s16le', sampleRate: 8000, channels: legs.length }, interleaveInt16(pcm)));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-tdm-'));
  // pan-call.wav: 400 ms of speech (seed 4), the test PAN at 70 ms on / 70 ms off, -12 dBm0, 300 ms of silence.
  writeWav(f('pan-call.wav'), [concat(speechLike(400, 4, -20), keyed(PAN, 70, 70, -12), silence(300))]);
  // trigger-call.wav, stereo: the caller (left) keys 737 at 1.0 s; the agent (right) keys the trigger *7 at 0.3 s.
  writeWav(f('trigger-call.wav'), [concat(silence(1000), keyed('737', 60, 60, -12), silence(400)), concat(silence(300), keyed('*7', 80, 80, -10), silence(1500))]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sim = (args: string[]) => run(DTMFGUARD_SIM, ['tdm', ...args], ROOT);
const verify = (args: string[]) => run(DTMFGUARD, ['verify', ...args], ROOT);

describe('dtmfguard-sim tdm', () => {
  it('in secure mode writes masked WAVs that `dtmfguard verify --mask-tone #` passes; the unmasked run fails it', async () => {
    const r = await sim(['--profile', 'dual-e1', '--span', '2', '--timeslot', '17=' + f('pan-call.wav'), '--out', f('secure'), '--secure', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    // Span 2 starts at channel 31 (span 1 has 30 bearers); TS17 is its 16th bearer: channel 46.
    expect(s.channels).toEqual([expect.objectContaining({ span: 2, timeslot: 17, channel: 46, masked: 16 })]);
    expect(r.stdout).not.toContain(PAN.slice(0, 6));
    const v = await verify([s.channels[0].callerWav, '--mask-tone', '#', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).result).toBe('clean');

    const clear = await sim(['--profile', 'dual-e1', '--span', '2', '--timeslot', '17=' + f('pan-call.wav'), '--out', f('clear'), '--json']);
    expect(clear.code).toBe(0);
    const c = JSON.parse(clear.stdout);
    expect(c.channels[0].masked).toBe(0);
    const bad = await verify([c.channels[0].callerWav, '--mask-tone', '#', '--json']);
    expect(bad.code).toBe(1);
    const leaked = JSON.parse(bad.stdout).files[0].digits.filter((d: { leak: boolean; detector: string }) => d.leak && d.detector === 'q24');
    expect(leaked).toHaveLength(16);
  });

  it('on a T1 board the agent keys the trigger: secure mode starts (source=trigger), both output legs verify clean', async () => {
    const r = await sim(['--profile', 'dual-t1', '--timeslot', '5=' + f('trigger-call.wav'), '--out', f('trigger'), '--mask-tone', '1', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.codec).toBe('ulaw');
    expect(s.secureChanges).toEqual([{ ch: 5, on: true, source: 'trigger' }]);
    expect(s.channels[0].masked).toBe(5); // *, 7 on the agent leg; 7, 3, 7 on the caller leg
    for (const wav of [s.channels[0].callerWav, s.channels[0].agentWav]) {
      const v = await verify([wav, '--mask-tone', '1']);
      expect(v.code, `${wav}: ${v.stdout}`).toBe(0);
    }
  });

  it('plays the agent-trigger scenario: the trigger starts secure mode, every digit of either leg leaves as its mask tone', async () => {
    const r = await sim(['--profile', 'dual-t1', '--timeslot', '1=' + join(ROOT, 'firmware-sim/scenarios/agent-trigger.json'), '--out', f('agent-trigger'), '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect([s.maskTone, s.secureChanges]).toEqual(['1', [{ ch: 1, on: true, source: 'trigger' }]]);
    expect(s.channels[0].masked).toBe(6); // *7# by the agent, 737 by the caller
    const v = await verify([s.channels[0].callerWav, s.channels[0].agentWav, '--mask-tone', '1']);
    expect(v.code, v.stdout).toBe(0);
  });

  it('with a short idle timeout, secure mode ends by itself (source=timeout) and later digits pass', async () => {
    // Caller: the PAN after 400 ms, then 2.5 s of silence, then "9" keyed after the session timed out.
    writeWav(f('late-digit.wav'), [concat(silence(400), keyed('12', 70, 70, -12), silence(2500), keyed('9', 80, 80, -12), silence(200))]);
    const r = await sim(['--timeslot', '1=' + f('late-digit.wav'), '--out', f('idle'), '--secure', '--secure-idle-s', '2', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.secureChanges).toEqual([
      { ch: 1, on: true, source: 'host' },
      { ch: 1, on: false, source: 'timeout' },
    ]);
    const v = JSON.parse((await verify([s.channels[0].callerWav, '--mask-tone', '#', '--json'])).stdout);
    expect(v.files[0].digits.filter((d: { leak: boolean }) => d.leak).map((d: { digit: string }) => d.digit)).toEqual(['9']);
  });

  it('plays a scenario on a timeslot with its secure mode and span fault, and mirrors the masked leg as RTP', async () => {
    const rx = createSocket('udp4');
    const packets: Buffer[] = [];
    rx.on('message', (m) => packets.push(m));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    try {
      const port = rx.address().port;
      const r = await sim(['--timeslot', '3=' + join(ROOT, 'firmware-sim/scenarios/e1-ivr-with-alarm.json'), '--out', f('scenario'), '--mirror', `127.0.0.1:${port}`, '--json']);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.skippedFaults).toEqual([]);
      expect(s.secureChanges.map((c: { on: boolean }) => c.on)).toEqual([true, false]);
      // The scenario's 3 s loss of signal on the board's own span model: LOS declared after 2.5 s.
      expect(s.alarms).toEqual([{ span: 1, alarm: 'los', on: true, atMs: expect.any(Number) }]);
      expect(s.alarms[0].atMs).toBeGreaterThan(2500);
      // The scenario's mask tone ('0') is the board's for the run.
      expect(s.maskTone).toBe('0');
      const v = JSON.parse((await verify([s.channels[0].callerWav, '--mask-tone', '0', '--json'])).stdout);
      // Only the menu choice keyed before secure mode passes; the 16 digits keyed in secure mode do not.
      expect(v.files[0].digits.filter((d: { leak: boolean; detector: string }) => d.leak && d.detector === 'q24').map((d: { digit: string }) => d.digit)).toEqual(['3']);
      await new Promise((res) => setTimeout(res, 200));
      expect(packets.length).toBe(s.mirrored);
      expect(packets.length).toBeGreaterThanOrEqual(Math.floor(s.durationMs / 20) - 1);
      const rtp = packets.map((p) => parseRtp(p));
      expect(new Set(rtp.map((p) => p.ssrc))).toEqual(new Set([3]));
      expect(rtp.every((p) => p.payloadType === 8)).toBe(true);
      rtp.sort((a, b) => ((a.sequence - rtp[0].sequence) & 0xffff) - ((b.sequence - rtp[0].sequence) & 0xffff));
      const audio = decodeAlaw(Uint8Array.from(rtp.flatMap((p) => [...p.payload])));
      // What the mirror carries is what the WAV holds: the menu digit, then only the mask tone.
      expect(detectDigits(audio).map((d) => d.digit).join('')).toMatch(/^30{16}$/);
    } finally {
      rx.close();
    }
  });

  it('refuses bad input with a one-line DG error and exit 2', async () => {
    for (const args of [
      ['--profile', 'sip-edge', '--timeslot', '1=' + f('pan-call.wav'), '--out', f('x')],
      ['--timeslot', '16=' + f('pan-call.wav'), '--out', f('x')],
      ['--timeslot', '1=' + f('missing.wav'), '--out', f('x')],
      ['--out', f('x')],
    ]) {
      const r = await sim(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^DG\d{4}: /);
    }
  });
});
