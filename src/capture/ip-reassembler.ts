/**
 * IP fragment reassembly (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for IPv6) with bounded memory:
 * at most `maxPending` datagrams in progress, each at most 65535 bytes, and a datagram whose first
 * fragment is older than `timeoutNs` (capture time) is dropped, as a receiver's reassembly timer would.
 *
 * Overlapping fragments whose bytes disagree drop the datagram (RFC 5722 forbids overlaps for
 * IPv6): an evasion trick could otherwise show the verifier different audio than the receiver heard.
 */
import type { IpDatagram } from './ip.ts';

export interface ReassemblerOptions {
  /** Datagrams in progress at once; the oldest is evicted beyond this. 1024 covers busy trunks. */
  maxPending?: number;
  /** Reassembly timeout; 30 s is Linux's ipfrag_time and within RFC 791's suggested 15 s lower bound. */
  timeoutNs?: bigint;
}

export interface ReassemblerStats {
  reassembled: number;
  /** Datagrams dropped unfinished (timeout or eviction). */
  expired: number;
  /** Datagrams dropped as inconsistent (conflicting overlaps, beyond 65535 bytes, two last fragments). */
  dropped: number;
}

interface Pending {
  first: IpDatagram;
  startNs: bigint;
  pieces: Array<{ offset: number; data: Uint8Array }>;
  totalLen: number; // -1 until the last fragment arrives
  bad: boolean;
}

const MAX_DATAGRAM = 65535;

export class Ipv4Reassembler {
  private readonly pending = new Map<string, Pending>();
  private readonly maxPending: number;
  private readonly timeoutNs: bigint;
  readonly stats: ReassemblerStats = { reassembled: 0, expired: 0, dropped: 0 };

  constructor(opts: ReassemblerOptions = {}) {
    this.maxPending = opts.maxPending ?? 1024;
    this.timeoutNs = opts.timeoutNs ?? 30_000_000_000n;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Offers a datagram: an unfragmented one comes straight back; a fragment returns the whole
   * datagram when it completes it, else undefined.
   */
  push(d: IpDatagram, timestampNs: bigint): IpDatagram | undefined {
    this.expire(timestampNs);
    const f = d.fragment;
    if (!f) return d;
    const key = `${d.version}|${d.src}|${d.dst}|${d.protocol}|${f.id}`;
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= this.maxPending) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        this.stats.expired++;
      }
      p = { first: d, startNs: timestampNs, pieces: [], totalLen: -1, bad: false };
      this.pending.set(key, p);
    }
    if (p.bad) return undefined;
    const end = f.offset + d.payload.length;
    if (end > MAX_DATAGRAM || (f.more && d.payload.length % 8 !== 0)) return this.fail(key, p);
    if (!f.more) {
      if (p.totalLen >= 0 && p.totalLen !== end) return this.fail(key, p);
      p.totalLen = end;
    }
    if (p.totalLen >= 0 && end > p.totalLen) return this.fail(key, p);
    // Copy: a view would pin the reader's whole 64 KiB chunk for as long as the datagram is pending.
    const piece = { offset: f.offset, data: new Uint8Array(d.payload) };
    for (const q of p.pieces) {
      const lo = Math.max(q.offset, piece.offset);
      const hi = Math.min(q.offset + q.data.length, end);
      for (let i = lo; i < hi; i++) {
        if (q.data[i - q.offset] !== piece.data[i - piece.offset]) return this.fail(key, p);
      }
    }
    p.pieces.push(piece);
    if (f.offset === 0) p.first = d;
    if (p.totalLen < 0) return undefined;
    // Complete when the pieces cover [0, totalLen).
    const sorted = [...p.pieces].sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const q of sorted) {
      if (q.offset > covered) return undefined;
      covered = Math.max(covered, q.offset + q.data.length);
    }
    if (covered < p.totalLen) return undefined;
    const out = new Uint8Array(p.totalLen);
    for (const q of sorted) out.set(q.data, q.offset);
    this.pending.delete(key);
    this.stats.reassembled++;
    const { fragment: _f, ...rest } = p.first;
    return { ...rest, payload: out };
  }

  private fail(key: string, p: Pending): undefined {
    // Keep the key as a tombstone until it times out, so later fragments of it are not reassembled.
    if (!p.bad) this.stats.dropped++;
    p.bad = true;
    p.pieces = [];
    this.pending.delete(key);
    this.pending.set(key, p);
    return undefined;
  }

  /** Drops pending fragments older than the timeout (push does it; a caller that skips push for a whole datagram calls this). */
  expire(nowNs: bigint): void {
    if (this.pending.size === 0) return;
    for (const [key, p] of this.pending) {
      if (nowNs - p.startNs <= this.timeoutNs) break; // insertion order = start order, mostly
      this.pending.delete(key);
      if (!p.bad) this.stats.expired++;
    }
  }
}

/** The same machinery keys IPv6 fragments by their 32-bit identification. */
export { Ipv4Reassembler as IpReassembler };
