/**
 * `dtmfguard verify --interface lo`: real UDP sent by the test on loopback while the verifier
 * captures, through libpcap in-process (node_pcap) and through the tcpdump fallback; stopped by
 * --duration and by Ctrl-C (SIGINT), each ending with the verdict on what was captured.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, dtmfTone, silence, toInt16 } from '../../../src/dsp/generator.ts';
import type { Verdict } from '../../../src/verify/verdict.ts';
import { CallerStream, sendScheduled, UdpReceiver } from '../relay/udp-peers.ts';
import { BIN } from './cli.ts';

let rx: UdpReceiver;
beforeAll(async () => {
  rx = await UdpReceiver.open();
});
afterAll(async () => {
  await rx.close();
});

/** A short call: '#' (the mask tone) then a leaked '6' in-band, and a '6' event. */
function call(ssrc: number) {
  const c = new CallerStream('ulaw', 20, ssrc);
  c.audio(toInt16(concat(silence(100), dtmfTone({ key: '#', durationMs: 80, levelDbm0: -10 }), silence(120), dtmfTone({ key: '6', durationMs: 80, levelDbm0: -10 }), silence(200))));
  for (let k = 0; k < 3; k++) c.event(560 + k, 4000, { event: 6, end: true, volume: 10, duration: 640 }, k === 0);
  return c.schedule();
}

function runLive(args: string[], stopWithSigint: boolean, ssrc: number): Promise<{ code: number | null; verdict: Verdict; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'verify', '--json', '--mask-tone', '#', '--interface', 'lo', '--filter', `udp and dst port ${rx.port}`, '--rtp-port', String(rx.port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  return new Promise((resolve, reject) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.on('data', async (d) => {
      const before = stderr;
      stderr += d;
      if (!before.includes('capturing on') && stderr.includes('capturing on')) {
        await sendScheduled(rx.address, call(ssrc));
        await new Promise((r) => setTimeout(r, 300));
        if (stopWithSigint) child.kill('SIGINT');
      }
    });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(kill);
      try {
        resolve({ code, verdict: JSON.parse(stdout) as Verdict, stderr });
      } catch {
        reject(new Error(`no JSON verdict (exit ${code}): ${stderr}`));
      }
    });
  });
}

describe('verify --interface lo', () => {
  it.each([
    ['libpcap', '--duration 3'],
    ['tcpdump', 'Ctrl-C'],
  ] as const)('through %s, stopped by %s: the leaked in-band digit and event are found', async (method, stop) => {
    const sigint = stop === 'Ctrl-C';
    const ssrc = method === 'libpcap' ? 0x11 : 0x22;
    const r = await runLive(['--capture-method', method, ...(sigint ? [] : ['--duration', '3'])], sigint, ssrc);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`capturing on lo with ${method}`);
    const f = r.verdict.files[0];
    expect(f.file).toBe('live:lo');
    expect(f.capture?.interface).toBe('lo');
    expect(f.digits.map((d) => `${d.digit} ${d.source}${d.leak ? ' LEAK' : ''}`)).toEqual(['# inband', '6 inband LEAK', '6 rfc4733 LEAK']);
    expect(f.streams).toHaveLength(1);
    expect(f.streams![0]).toMatchObject({ codec: 'PCMU', lost: 0, foundBy: 'port' });
    // Both methods count the kernel's drops: libpcap's stats, tcpdump's exit statistics.
    expect(f.capture?.kernelDrops).toBe(0);
  });

  it('a missing interface is exit 2 with one DG6009 line naming it', async () => {
    const child = spawn(process.execPath, [BIN, 'verify', '--interface', 'nosuchif0', '--duration', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.once('close', r));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n').pop()).toMatch(/^DG6009: .*nosuchif0/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
