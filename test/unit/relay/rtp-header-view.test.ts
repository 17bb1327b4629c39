/**
 * The relay's in-place RTP header reader must accept and refuse exactly what parseRtp does (RFC 3550
 * §5.1, §5.3.1), refuse for the same reason, and read the same fields: checked on random bytes, on
 * valid packets, and on valid packets with their header counts, lengths and octets mutated, each
 * read at an offset inside a larger buffer whose other bytes must not matter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpHeaderView, type RtpHeaderReject } from '../../../firmware-sim/relay/rtp-header-view.ts';
import { parseRtp, RtpParseError, serializeRtp } from '../../../src/rtp/packet.ts';
import { arbRtpPacket } from '../rtp/rtp-packet-arbitrary.ts';

/** parseRtp's refusal, as the reader's reason: one per rule. */
function reasonOf(e: RtpParseError): RtpHeaderReject {
  const r = e.reason;
  if (/shorter than the 12-byte fixed header/.test(r)) return 'short';
  if (/^version/.test(r)) return 'version';
  if (/^CSRC count/.test(r)) return 'csrc';
  if (/no room for the extension header/.test(r)) return 'extension-header';
  if (/^extension length/.test(r)) return 'extension-length';
  if (/padding count is 0/.test(r)) return 'padding-zero';
  if (/^padding count \d+ exceeds/.test(r)) return 'padding-overrun';
  throw new Error(`unknown parseRtp refusal: ${r}`);
}

const view = new RtpHeaderView();

/** Reads `dg` placed at `pre` octets into a buffer with `post` octets after it, both filled with `junk`, and compares with parseRtp. */
function agrees(dg: Uint8Array, pre: number, post: number, junk: number): void {
  const buf = new Uint8Array(pre + dg.length + post).fill(junk);
  buf.set(dg, pre);
  let p: ReturnType<typeof parseRtp> | undefined;
  let refused: RtpHeaderReject = '';
  try {
    p = parseRtp(dg);
  } catch (e) {
    if (!(e instanceof RtpParseError)) throw e;
    refused = reasonOf(e);
  }
  const ok = view.read(buf, pre, dg.length);
  if (!p) {
    expect({ ok, reason: view.reason }).toEqual({ ok: false, reason: refused });
    return;
  }
  expect(ok).toBe(true);
  expect({
    version: view.version,
    padding: view.padding,
    extension: view.extension,
    marker: view.marker,
    payloadType: view.payloadType,
    sequence: view.sequence,
    timestamp: view.timestamp,
    ssrc: view.ssrc,
    payloadOffset: view.payloadOffset,
    payloadLength: view.payloadLength,
    reason: view.reason,
  }).toEqual({
    version: p.version,
    padding: p.padding,
    extension: p.extension,
    marker: p.marker,
    payloadType: p.payloadType,
    sequence: p.sequence,
    timestamp: p.timestamp,
    ssrc: p.ssrc,
    payloadOffset: p.payload.byteOffset - dg.byteOffset,
    payloadLength: p.payload.length,
    reason: '',
  });
}

const placement = fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 9 }), fc.integer({ min: 0, max: 255 }));

/** A valid packet of any shape parseRtp knows: CSRCs, an extension, padding. */
const validPacket = arbRtpPacket(40).map((p) => serializeRtp(p));

/** What breaks a header: its counts and lengths changed by a little, or any octet, or the datagram cut or lengthened. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('octet' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cc' as const), value: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('bits' as const), value: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ kind: fc.constant('ext-length' as const), value: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('padding-count' as const), value: fc.integer({ min: 0, max: 80 }) }),
  fc.record({ kind: fc.constant('cut' as const), by: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ kind: fc.constant('grow' as const), by: fc.integer({ min: 1, max: 8 }), value: fc.integer({ min: 0, max: 255 }) }),
);

type Mutation = { kind: string; at?: number; value?: number; by?: number };

function mutate(dg: Uint8Array, ms: Mutation[]): Uint8Array {
  let d: Uint8Array = Uint8Array.from(dg);
  for (const m of ms) {
    if (d.length === 0) break;
    switch (m.kind) {
      case 'octet':
        d[m.at! % d.length] = m.value!;
        break;
      case 'cc':
        d[0] = (d[0] & 0xf0) | m.value!;
        break;
      case 'bits': // version, padding and extension bits
        d[0] = (m.value! & 0xf0) | (d[0] & 0x0f);
        break;
      case 'ext-length': {
        // Where the extension header is when the CSRC count is as serialised.
        const at = 12 + (d[0] & 0x0f) * 4 + 2;
        if (at + 1 < d.length) {
          d[at] = 0;
          d[at + 1] = m.value!;
        }
        break;
      }
      case 'padding-count':
        d[d.length - 1] = m.value!;
        break;
      case 'cut':
        d = d.subarray(0, Math.max(0, d.length - m.by!));
        break;
      case 'grow': {
        const g = new Uint8Array(d.length + m.by!).fill(m.value!);
        g.set(d);
        d = g;
        break;
      }
    }
  }
  return d;
}

describe('RtpHeaderView', () => {
  it('agrees with parseRtp on valid packets of every shape (property)', () => {
    fc.assert(fc.property(validPacket, placement, (dg, [pre, post, junk]) => agrees(dg, pre, post, junk)), { numRuns: 2000 });
  });

  it('agrees with parseRtp on mutated packets: accepts, refuses for the same reason, reads the same fields (property)', () => {
    fc.assert(
      fc.property(validPacket, fc.array(mutation, { minLength: 1, maxLength: 3 }), placement, (dg, ms, [pre, post, junk]) => agrees(mutate(dg, ms), pre, post, junk)),
      { numRuns: 8000 },
    );
  });

  it('agrees with parseRtp on random bytes, mostly version 2 (property)', () => {
    const bytes = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 79 })).map(([b0, rest]) => {
      const d = new Uint8Array(rest.length + 1);
      d[0] = b0 < 200 ? 0x80 | (b0 & 0x3f) : b0;
      d.set(rest, 1);
      return d;
    });
    fc.assert(fc.property(bytes, placement, (dg, [pre, post, junk]) => agrees(dg, pre, post, junk)), { numRuns: 4000 });
  });

  it('refuses each rule at its boundary and accepts one octet inside it', () => {
    const base = serializeRtp({ version: 2, padding: false, extension: false, marker: false, payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, csrc: [], payload: new Uint8Array(0) });
    const cases: [string, Uint8Array, RtpHeaderReject][] = [
      ['11 octets', base.subarray(0, 11), 'short'],
      ['12 octets', base, ''],
      ['version 3', Uint8Array.from([0xc0, ...base.subarray(1)]), 'version'],
      ['CSRC count 1 in 15 octets', Uint8Array.from([0x81, ...base.subarray(1), 0, 0, 0]), 'csrc'],
      ['CSRC count 1 in 16 octets', Uint8Array.from([0x81, ...base.subarray(1), 0, 0, 0, 0]), ''],
      ['extension bit, 15 octets', Uint8Array.from([0x90, ...base.subarray(1), 0, 0, 0]), 'extension-header'],
      ['extension of 1 word in 19 octets', Uint8Array.from([0x90, ...base.subarray(1), 0, 0, 0, 1, 0, 0, 0]), 'extension-length'],
      ['extension of 1 word in 20 octets', Uint8Array.from([0x90, ...base.subarray(1), 0, 0, 0, 1, 0, 0, 0, 0]), ''],
      ['padding count 0', Uint8Array.from([0xa0, ...base.subarray(1), 0]), 'padding-zero'],
      ['padding count 2 over 1 octet after the header', Uint8Array.from([0xa0, ...base.subarray(1), 2]), 'padding-overrun'],
      ['padding count 1 over 1 octet after the header', Uint8Array.from([0xa0, ...base.subarray(1), 1]), ''],
    ];
    for (const [name, dg, reason] of cases) {
      agrees(dg, 3, 3, 1);
      expect({ name, ok: view.read(dg, 0, dg.length), reason: view.reason }).toEqual({ name, ok: reason === '', reason });
    }
  });
});
