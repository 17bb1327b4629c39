import { describe, it, expect } from 'vitest';
import { looksLikeSip, parseSdp, sipSdpBody } from '../../../src/rtp/sdp.ts';

// Named fixture: a SIP INVITE with an SDP offer (PCMA, PCMU and telephone-event on PT 96), RFC 4566 syntax.
const INVITE_WITH_SDP = [
  'INVITE sip:bob@198.51.100.7 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
  'From: <sip:alice@192.0.2.10>;tag=1928301774',
  'To: <sip:bob@198.51.100.7>',
  'Call-ID: a84b4c76e66710@192.0.2.10',
  'CSeq: 314159 INVITE',
  'c: application/sdp', // compact form of Content-Type (RFC 3261 §7.3.3)
  'Content-Length: 160',
  '',
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 8 0 96',
  'a=rtpmap:96 telephone-event/8000',
  'a=fmtp:96 0-15',
  'm=video 51372 RTP/AVP 31',
  'm=audio 49180 RTP/AVP 0 97',
  'c=IN IP4 192.0.2.11/127',
  'a=rtpmap:97 TELEPHONE-EVENT/8000',
  '',
].join('\r\n');

describe('SIP and SDP', () => {
  it('recognises SIP requests and responses, nothing else', () => {
    expect(looksLikeSip(Buffer.from(INVITE_WITH_SDP))).toBe(true);
    expect(looksLikeSip(Buffer.from('SIP/2.0 200 OK\r\nVia: x\r\n'))).toBe(true);
    expect(looksLikeSip(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'))).toBe(false);
    expect(looksLikeSip(Uint8Array.from([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff]))).toBe(false);
  });

  it('finds the SDP body and maps payload types per audio media', () => {
    const body = sipSdpBody(Buffer.from(INVITE_WITH_SDP));
    expect(body).toMatch(/^v=0/);
    const media = parseSdp(body!);
    expect(media).toHaveLength(2); // the video m= line is ignored
    expect(media[0]).toMatchObject({ address: '192.0.2.10', port: 49170 });
    expect(media[0].payloadTypes.map((p) => [p.pt, p.kind])).toEqual([[8, 'alaw'], [0, 'ulaw'], [96, 'telephone-event']]);
    expect(media[1]).toMatchObject({ address: '192.0.2.11', port: 49180 });
    expect(media[1].payloadTypes.map((p) => [p.pt, p.kind])).toEqual([[0, 'ulaw'], [97, 'telephone-event']]);
  });

  it('has no SDP body without Content-Type application/sdp', () => {
    expect(sipSdpBody(Buffer.from(INVITE_WITH_SDP.replace('c: application/sdp', 'Content-Type: text/plain')))).toBeUndefined();
    expect(sipSdpBody(Buffer.from('SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n'))).toBeUndefined();
  });
});
