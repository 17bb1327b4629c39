/**
 * sipp's sample captures, read by us and by tshark (an independent RTP/RFC 4733 decoder): the events,
 * deduplicated on SSRC + timestamp + event the same way, must be equal, and so must the RTP packets.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyseCapture } from '../../../src/rtp/capture-analysis.ts';

const SIPP = '/usr/share/sip-tester';
const FILES = readdirSync(SIPP).filter((f) => /^(dtmf_2833_.*|g711a)\.pcap$/.test(f)).sort();

function tshark(file: string, filter: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

describe('sipp sample captures against tshark', () => {
  it('has the 13 captures the brief names', () => {
    expect(FILES).toHaveLength(13);
  });

  it.each(FILES)('%s: same RFC 4733 events and RTP packets as tshark', async (name) => {
    const file = join(SIPP, name);
    const a = analyseCapture(createReadStream(file));
    const ours: string[] = [];
    for await (const o of a.outputs()) if (o.kind === 'event') ours.push(`${o.stream.ssrc}|${o.rtpTimestamp}|${o.event}|${o.endSeen}`);
    const r = a.result();

    // One tshark pass (tshark is slow to start): every RTP packet, with event fields where it is one.
    const rtp = tshark(file, 'rtp', ['rtp.ssrc', 'rtp.seq', 'rtp.timestamp', 'rtpevent.event_id', 'rtpevent.end_of_event']);
    // tshark lists every event packet; one key press is one (SSRC, timestamp, event), ended if any packet had E set.
    const presses = new Map<string, boolean>();
    for (const [ssrc, , ts, ev, end] of rtp) {
      if (ev === undefined || ev === '') continue;
      const k = `${Number(ssrc)}|${ts}|${ev}`;
      presses.set(k, (presses.get(k) ?? false) || end === '1' || end === 'True');
    }
    const theirs = [...presses].map(([k, end]) => `${k}|${end}`).sort();
    expect(ours.sort()).toEqual(theirs);
    if (name.startsWith('dtmf_2833_')) {
      expect(theirs).toHaveLength(1);
      // The digit is in the file name: dtmf_2833_<digit|star|pound>.pcap (RFC 4733 §3.2 codes).
      const digit = name.slice(10, -5);
      expect(Number(theirs[0].split('|')[2])).toBe(digit === 'star' ? 10 : digit === 'pound' ? 11 : Number(digit));
    }

    // Every RTP packet tshark sees is in our streams (ours counts exact repeats as duplicates).
    const ourPackets = r.streams.reduce((n, s) => n + s.packets + s.sequence.duplicates, 0);
    expect(ourPackets).toBe(rtp.length);
    expect(new Set(r.streams.map((s) => s.id.ssrc))).toEqual(new Set(rtp.map(([ssrc]) => Number(ssrc))));
    expect(r.capture.partial).toBeUndefined();
  });
});
