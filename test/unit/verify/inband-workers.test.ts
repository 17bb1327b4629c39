/**
 * In-band receivers on worker threads (src/verify/inband-pool.ts): the verdict is the same JSON as
 * on one thread for a capture of many streams (digits, fragments, events, loss, reordering, both
 * codecs), with 1, 2 and 3 workers, and with a share of the streams kept on the reading thread; damaged and unreadable captures end the same way
 * (partial verdict, DgError) and leave no worker behind. Also the batch format on its own.
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { isDgError } from '../../../src/errors.ts';
import { verifyCaptureStream } from '../../../src/verify/capture-verify.ts';
import { BatchWriter, readBatch } from '../../../src/verify/inband-batch.ts';
import type { FileVerdict } from '../../../src/verify/verdict.ts';
import { buildCapture, type StreamScript } from './capture-fixture.ts';

const verify = (bytes: Uint8Array, workers: number, mainEvery?: number): Promise<FileVerdict> =>
  verifyCaptureStream('fixture.pcap', Readable.from([Buffer.from(bytes)]), { maskTone: '#', workers, mainEvery });

/** Twelve calls: each keys two digits in-band (one masked '#'), one a 12 ms fragment, some send events, lose or swap packets. */
function calls(): StreamScript[] {
  const keys = '4111111111111111';
  return Array.from({ length: 12 }, (_, i): StreamScript => ({
    codec: i % 3 === 0 ? 'ulaw' : 'alaw',
    audio: [
      { silence: 100 + 20 * i },
      { tone: keys[i] as '4' | '1', ms: 60 + 5 * i },
      { silence: 200 },
      { tone: '#', ms: 80 },
      { silence: 150 },
      ...(i % 4 === 1 ? [{ tone: '9' as const, ms: 12, level: -30 }] : []),
      { silence: 400 },
    ],
    events: i % 2 === 0 ? [{ key: i % 4 === 0 ? '#' : '7', atMs: 700, ms: 100 }] : [],
    lose: i % 5 === 2 ? [40] : [],
    swap: i % 3 === 1 ? [10, 30] : [],
  }));
}

const capture = (): Buffer => buildCapture(calls());

describe('in-band workers', () => {
  it('give the same JSON verdict as one thread, with 1, 2 and 3 workers, on a capture of 12 streams', async () => {
    const bytes = capture();
    const one = await verify(bytes, 0);
    // Enough happens that a difference would show: in-band digits, a fragment, events, leaks.
    expect(one.streams).toHaveLength(12);
    expect(one.digits.filter((d) => d.source === 'inband' && d.detector === 'q24').length).toBeGreaterThanOrEqual(24);
    expect(one.digits.some((d) => d.detector === 'attacker')).toBe(true);
    expect(one.digits.some((d) => d.source === 'rfc4733')).toBe(true);
    expect(one.leaks).toBeGreaterThan(12);
    const json = JSON.stringify(one);
    for (const w of [1, 2, 3]) expect(JSON.stringify(await verify(bytes, w)), `${w} workers`).toBe(json);
  });

  it('give the same verdict when some streams stay on the reading thread (one worker: every fourth by default)', async () => {
    const bytes = capture();
    const json = JSON.stringify(await verify(bytes, 0));
    for (const [w, every] of [[1, 2], [1, 1], [2, 3]]) {
      expect(JSON.stringify(await verify(bytes, w, every)), `${w} workers, every ${every}th stream here`).toBe(json);
    }
  });

  it('a truncated capture gives the same partial verdict through the workers', async () => {
    const bytes = capture();
    for (const cut of [Math.floor(bytes.length / 3), bytes.length - 7]) {
      const part = bytes.subarray(0, cut);
      const one = await verify(part, 0);
      expect(one.truncated).toBe(true);
      expect(one.capture?.partial).toBeDefined();
      expect(JSON.stringify(await verify(part, 2))).toBe(JSON.stringify(one));
    }
  });

  it('an unreadable capture is the same DgError through the worker path (and the workers stop)', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('not a capture at all, just text\n')]) {
      const err = await verify(bytes, 2).then(() => undefined, (e: unknown) => e);
      expect(isDgError(err), String(err)).toBe(true);
      const single = await verify(bytes, 0).then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).toBe((single as Error).message);
    }
  });

  it('batch format: records of any length and codec read back as written, and a full batch says so', () => {
    const w = new BatchWriter(new ArrayBuffer(1024));
    const want: Array<[number, string, number, number[]]> = [];
    for (let i = 0; w.fits(i * 7 % 200); i++) {
      const codes = Array.from({ length: (i * 7) % 200 }, (_, k) => (k * 31 + i) & 0xff);
      const rec: [number, string, number, number[]] = [i * 1000 + 3, i % 2 ? 'alaw' : 'ulaw', i * 160 + 2 ** 33, codes];
      w.add(rec[0], rec[1] as 'alaw' | 'ulaw', rec[2], Uint8Array.from(codes));
      want.push(rec);
    }
    expect(want.length).toBeGreaterThan(5);
    const got: Array<[number, string, number, number[]]> = [];
    readBatch(w.buf, w.used, (s, c, o, codes) => got.push([s, c, o, [...codes]]));
    expect(got).toEqual(want);
  });
});
