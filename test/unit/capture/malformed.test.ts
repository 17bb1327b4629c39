/**
 * Damaged input never crashes or hangs the capture path: random bytes, and real captures mutated
 * (bytes flipped, lengths rewritten, truncated at every offset) either fail with a DG6xxx DgError
 * (exit 2) or end with a result whose `partial` / `skipped` says what was lost.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { analyseCapture, type CaptureAnalysisResult } from '../../../src/rtp/capture-analysis.ts';
import { isDgError } from '../../../src/errors.ts';
import { pcapngEnhancedPacket, pcapngInterface, pcapngSectionHeader, toTsUnits } from '../../../src/capture/pcap-writer.ts';
import { readAll } from './read-all.ts';

const SIPP_EVENT = readFileSync('/usr/share/sip-tester/dtmf_2833_1.pcap');
const SIPP_AUDIO = readFileSync('/usr/share/sip-tester/g711a.pcap').subarray(0, 24 + 20 * (16 + 294));

/** The same packets as SIPP_EVENT in a pcapng, so mutations hit pcapng block structure too. */
async function asPcapng(pcap: Uint8Array): Promise<Uint8Array> {
  const { packets } = await readAll(pcap);
  return Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, { tsresol: 9 }), ...packets.map((p) => pcapngEnhancedPacket(0, toTsUnits(p.timestampNs, 9), p.data))]);
}

type Outcome = { kind: 'error'; code: string } | { kind: 'done'; result: CaptureAnalysisResult; events: number; audio: number };

async function analyse(bytes: Uint8Array, chunk = 512): Promise<Outcome> {
  const chunks: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += chunk) chunks.push(Buffer.from(bytes.subarray(o, o + chunk)));
  const a = analyseCapture(Readable.from(chunks));
  let events = 0;
  let audio = 0;
  try {
    for await (const o of a.outputs()) {
      if (o.kind === 'event') events++;
      else audio += o.codes.length;
    }
  } catch (e) {
    // Anything but a DgError with a capture code is a crash.
    if (!isDgError(e) || !/^DG6\d{3}$/.test(e.code) || e.exitCode !== 2) throw e;
    expect(e.message).not.toMatch(/\n/); // one line, no stack
    return { kind: 'error', code: e.code };
  }
  return { kind: 'done', result: a.result(), events, audio };
}

describe('malformed captures', () => {
  it('random bytes: a DG6xxx error or a result, never a crash (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (b) => {
      await analyse(b);
    }), { numRuns: 300 });
  });

  it('random bytes behind a valid pcap or pcapng magic (property)', async () => {
    const headers = [SIPP_EVENT.subarray(0, 24), (await asPcapng(SIPP_EVENT)).subarray(0, 60)];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 3000 }), async (h, b) => {
      const out = await analyse(Buffer.concat([h, b]));
      if (out.kind === 'done') expect(out.result.capture.packets).toBeGreaterThanOrEqual(0);
    }), { numRuns: 300 });
  });

  it('real captures with bytes overwritten anywhere: never a crash (property over a mutation corpus)', async () => {
    const corpus = [SIPP_EVENT, SIPP_AUDIO, await asPcapng(SIPP_EVENT)];
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...corpus.keys()),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 700 }),
      async (which, edits, chunk) => {
        const b = Uint8Array.from(corpus[which]);
        for (const [pos, v] of edits) b[pos % b.length] = v;
        await analyse(b, chunk);
      }), { numRuns: 400 });
  });

  it('record and block lengths set to extreme values: a stop with DG6004/DG6005 in `partial`, not an allocation', async () => {
    for (const v of [0xffffffff, 0x7fffffff, 0x00100001, 13, 0]) {
      const b = Buffer.from(SIPP_EVENT);
      b.writeUInt32LE(v, 24 + 8); // first record's incl_len
      const out = await analyse(b);
      expect(out.kind).toBe('done');
      if (out.kind === 'done' && v > 100) expect(out.result.capture.partial?.code).toMatch(/DG600[45]/);
      const ng = Buffer.from(await asPcapng(SIPP_EVENT));
      ng.writeUInt32LE(v, 28 + 32 + 4); // first EPB's block length (after SHB and IDB)
      const out2 = await analyse(ng);
      expect(out2.kind).toBe('done');
      if (out2.kind === 'done') expect(out2.result.capture.partial?.code).toMatch(/DG600[45]/);
    }
  });

  it('truncated at every offset: fewer packets, the reason in `partial`, never a crash', async () => {
    for (const full of [SIPP_EVENT, await asPcapng(SIPP_EVENT)]) {
      const whole = await analyse(full);
      if (whole.kind !== 'done') throw new Error('the intact capture must read');
      expect(whole.events).toBe(1);
      let lastPackets = 0;
      for (let n = 0; n < full.length; n++) {
        const out = await analyse(full.subarray(0, n), 97);
        if (out.kind === 'error') {
          expect(n).toBeLessThan(28); // only a cut inside the file or section header is fatal
          expect(out.code).toMatch(/DG600[1-5]/);
          continue;
        }
        const c = out.result.capture;
        expect(c.packets).toBeGreaterThanOrEqual(lastPackets);
        expect(c.packets).toBeLessThan(whole.result.capture.packets);
        lastPackets = c.packets;
        // A cut exactly between records is a shorter file, not damage; anywhere else it is reported.
        if (c.partial) expect(c.partial.message).toMatch(/skipped/);
      }
    }
  });
});
