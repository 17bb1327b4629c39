/**
 * Live capture through libpcap in-process (node_pcap, the `pcap` optional dependency): libpcap
 * hands us frames, our own decoders do the rest (node_pcap's decoders are not used). Where the
 * module is not installed or cannot open the interface, src/capture/live-source.ts falls back to
 * tcpdump (live-capture.ts). Frames are copied out of node_pcap's reused buffer into a bounded
 * queue; a consumer that falls that far behind loses frames, and the summary counts them.
 */
import { createRequire } from 'node:module';
import { CAPTURE_CODES, captureError, countSkip, type CaptureSummary } from './capture-errors.ts';
import type { CapturedPacket } from './captured-packet.ts';
import type { CaptureReader } from './read-capture.ts';
import { LINKTYPE } from './link-types.ts';

/** What we use of node_pcap's session (its bundled typings are partial). */
interface PcapSession {
  link_type: string;
  on(event: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void;
  close(): void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
}
interface PcapModule {
  createSession(device: string, opts: { filter?: string; buffer_size?: number; snap_length?: number; buffer_timeout?: number; promiscuous?: boolean }): PcapSession;
}

/** node_pcap names only these link types (pcap_session.cc); anything else makes it throw. */
const LINK_BY_NAME: Record<string, number> = {
  LINKTYPE_NULL: LINKTYPE.NULL,
  LINKTYPE_ETHERNET: LINKTYPE.ETHERNET,
  LINKTYPE_RAW: LINKTYPE.RAW,
  LINKTYPE_LINUX_SLL: LINKTYPE.LINUX_SLL,
};

/** Frames queued between libpcap's callback and the consumer: ~10 s of 100 busy RTP streams. */
const MAX_QUEUED = 100_000;

export interface NativeLiveOptions {
  interface: string;
  filter?: string;
  /** Bytes kept per frame; 2048 covers any RTP frame on a 1500-byte MTU with VLAN tags. */
  snapLen?: number;
  /** Kernel buffer, bytes. 8 MiB: small rings drop under load (same as the tcpdump path). */
  bufferBytes?: number;
}

export interface NativeLiveCapture {
  readonly packets: CaptureReader;
  stop(): Promise<void>;
  /** Kernel drop count (libpcap ps_drop + ps_ifdrop) so far. */
  kernelDrops(): number;
}

let cached: PcapModule | null | undefined;

/** node_pcap when it is installed and its native part loads; null otherwise (with the reason). */
export function loadNativePcap(): { pcap: PcapModule | null; why?: string } {
  if (cached !== undefined) return { pcap: cached, why: cached ? undefined : loadError };
  try {
    cached = createRequire(import.meta.url)('pcap') as PcapModule;
  } catch (e) {
    cached = null;
    loadError = (e as Error).message.split('\n')[0];
  }
  return { pcap: cached, why: cached ? undefined : loadError };
}
let loadError = '';

/** Opens the interface now (throws DG6009 when libpcap refuses: no such device, no permission, bad filter). */
export function startNativeCapture(pcap: PcapModule, opts: NativeLiveOptions): NativeLiveCapture {
  let session: PcapSession;
  try {
    session = pcap.createSession(opts.interface, {
      filter: opts.filter ?? '',
      snap_length: opts.snapLen ?? 2048,
      buffer_size: opts.bufferBytes ?? 8 << 20,
      // Deliver frames within 100 ms even on a quiet link (libpcap's read timeout).
      buffer_timeout: 100,
      promiscuous: false,
    });
  } catch (e) {
    throw captureError(CAPTURE_CODES.liveCaptureFailed, `live capture on ${opts.interface} failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const linkType = LINK_BY_NAME[session.link_type];
  if (linkType === undefined) {
    session.close();
    throw captureError(CAPTURE_CODES.liveCaptureFailed, `node_pcap cannot name the link type of ${opts.interface} (${String(session.link_type)})`);
  }
  const summary: CaptureSummary = { format: 'pcap', packets: 0, bytes: 0, skipped: {} };
  const queue: CapturedPacket[] = [];
  let wake: (() => void) | null = null;
  let stopped = false;
  let lastStats = { ps_drop: 0, ps_ifdrop: 0 };
  session.on('packet', (p) => {
    if (stopped) return;
    if (queue.length >= MAX_QUEUED) {
      countSkip(summary.skipped, 'frames dropped: verifier too slow');
      return;
    }
    const h = p.header;
    const caplen = h.readUInt32LE(8);
    queue.push({
      timestampNs: BigInt(h.readUInt32LE(0)) * 1_000_000_000n + BigInt(h.readUInt32LE(4)) * 1000n,
      linkType,
      data: Uint8Array.prototype.slice.call(p.buf, 0, caplen),
      originalLength: h.readUInt32LE(12),
      interfaceId: 0,
    });
    wake?.();
  });
  const packets: CaptureReader = {
    summary,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length > 0) {
          const pkt = queue.shift()!;
          summary.packets++;
          summary.bytes += pkt.data.length;
          yield pkt;
        }
        if (stopped) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    },
  };
  return {
    packets,
    kernelDrops() {
      if (!stopped) {
        try {
          lastStats = session.stats();
        } catch {
          /* a closed handle: keep the last figures */
        }
      }
      return lastStats.ps_drop + lastStats.ps_ifdrop;
    },
    async stop() {
      if (stopped) return;
      try {
        lastStats = session.stats();
      } catch {
        /* keep the last figures */
      }
      stopped = true;
      session.close();
      wake?.();
    },
  };
}
