/**
 * SIP messages (RFC 3261) carrying SDP bodies (RFC 4566 / RFC 8866), read from captured UDP only
 * to learn which RTP payload type carries which codec: `m=audio 49170 RTP/AVP 0 8 101`,
 * `a=rtpmap:101 telephone-event/8000`, and where the stream is received (`c=` + the m= port).
 * An SDP lists the payload types its writer wants to *receive* (RFC 3264 §5.1), so a mapping is
 * keyed by the destination address and port of the stream it describes.
 */

export type PayloadKind = 'ulaw' | 'alaw' | 'telephone-event' | 'other';

export interface PayloadMapping {
  pt: number;
  encoding: string;
  clockRate: number;
  kind: PayloadKind;
}

export interface SdpMedia {
  /** Connection address for this media (media-level c= over session-level c=), if any. */
  address?: string;
  port: number;
  payloadTypes: PayloadMapping[];
}

/** RFC 3551 Table 4: the static payload types we decode. */
export const STATIC_PAYLOAD_TYPES: Readonly<Record<number, PayloadMapping>> = {
  0: { pt: 0, encoding: 'PCMU', clockRate: 8000, kind: 'ulaw' },
  8: { pt: 8, encoding: 'PCMA', clockRate: 8000, kind: 'alaw' },
};

export function kindOfEncoding(encoding: string): PayloadKind {
  const e = encoding.toLowerCase();
  if (e === 'pcmu') return 'ulaw';
  if (e === 'pcma') return 'alaw';
  if (e === 'telephone-event') return 'telephone-event';
  return 'other';
}

const SIP_START = /^(SIP\/2\.0 \d{3}[^\r\n]*|[A-Z]{3,10} sips?:\S+ SIP\/2\.0)\r?\n/;

/** True when a UDP payload is a SIP request or response (RFC 3261 §7.1 start line). */
export function looksLikeSip(payload: Uint8Array): boolean {
  if (payload.length < 12) return false;
  const c = payload[0];
  if (c < 0x41 || c > 0x5a) return false; // upper-case method or "SIP/2.0"
  const head = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, 200)).toString('latin1');
  const eol = head.indexOf('\n');
  return eol > 0 && SIP_START.test(head.slice(0, eol + 1));
}

/** The SDP body of a SIP message, or undefined if it has none (RFC 3261 §7.4: body after the blank line). */
export function sipSdpBody(payload: Uint8Array): string | undefined {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1');
  const split = text.search(/\r?\n\r?\n/);
  if (split < 0) return undefined;
  const headers = text.slice(0, split);
  // RFC 3261 §7.3.3 compact form: c = Content-Type.
  const ct = /^(?:content-type|c)[ \t]*:[ \t]*([^\r\n;]+)/im.exec(headers);
  if (!ct || ct[1].trim().toLowerCase() !== 'application/sdp') return undefined;
  const body = text.slice(split).replace(/^\r?\n\r?\n/, '');
  return body.length > 0 ? body : undefined;
}

/** Audio media descriptions of an SDP body; static payload types are filled in when no rtpmap names them. */
export function parseSdp(body: string): SdpMedia[] {
  const media: SdpMedia[] = [];
  let sessionAddress: string | undefined;
  let current: (SdpMedia & { fmts: number[]; maps: Map<number, PayloadMapping> }) | undefined;
  const finish = (): void => {
    if (!current) return;
    const { fmts, maps, ...m } = current;
    m.payloadTypes = fmts.map((pt) => maps.get(pt) ?? STATIC_PAYLOAD_TYPES[pt]).filter((x): x is PayloadMapping => x !== undefined);
    media.push(m);
    current = undefined;
  };
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2);
    switch (line[0]) {
      case 'c': {
        // c=IN IP4 192.0.2.1 (a multicast "/ttl" suffix is dropped)
        const parts = value.split(/\s+/);
        const addr = parts[2]?.split('/')[0];
        if (parts[0] === 'IN' && addr) {
          if (current) current.address = addr;
          else sessionAddress = addr;
        }
        break;
      }
      case 'm': {
        finish();
        const parts = value.split(/\s+/);
        const port = Number.parseInt(parts[1] ?? '', 10);
        if (parts[0] !== 'audio' || !Number.isInteger(port) || port < 0 || port > 65535) break;
        const fmts = parts.slice(3).map((s) => Number.parseInt(s, 10)).filter((n) => Number.isInteger(n) && n >= 0 && n <= 127);
        current = { address: sessionAddress, port, payloadTypes: [], fmts, maps: new Map() };
        break;
      }
      case 'a': {
        // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]
        const m = /^rtpmap:(\d+)\s+([^/\s]+)\/(\d+)/i.exec(value);
        if (m && current) {
          const pt = Number(m[1]);
          current.maps.set(pt, { pt, encoding: m[2], clockRate: Number(m[3]), kind: kindOfEncoding(m[2]) });
        }
        break;
      }
    }
  }
  finish();
  return media;
}
