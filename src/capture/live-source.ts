/**
 * Live capture as the design asks: libpcap in-process through node_pcap when the optional `pcap`
 * module loads and opens the interface, otherwise a spawned `tcpdump -U -w -` (live-capture.ts).
 * Either way the frames go through our own capture decoders, as a file's would.
 */
import { CAPTURE_CODES, captureError } from './capture-errors.ts';
import { startLiveCapture } from './live-capture.ts';
import { loadNativePcap, startNativeCapture } from './live-native.ts';
import type { CaptureReader } from './read-capture.ts';

export interface LiveSourceOptions {
  interface: string;
  /** BPF filter (pcap-filter(7)). */
  filter?: string;
  /** 'auto' (default): native when it works, else tcpdump. */
  method?: 'auto' | 'libpcap' | 'tcpdump';
}

export interface LiveSource {
  readonly packets: CaptureReader;
  readonly method: 'libpcap' | 'tcpdump';
  /** Why the native module was not used (when method is tcpdump under 'auto'). */
  readonly fallbackReason?: string;
  /** Resolves once packets are being captured; rejects with DG6009 when capture could not start. */
  readonly ready: Promise<void>;
  /** Stops capturing; the packet iteration then ends after what was captured. */
  stop(): Promise<void>;
  /** Packets the kernel dropped, where the method can tell (libpcap's ps_drop + ps_ifdrop; tcpdump's exit statistics, once it has exited). */
  kernelDrops(): number | undefined;
}

export function openLiveSource(opts: LiveSourceOptions): LiveSource {
  const method = opts.method ?? 'auto';
  let fallbackReason: string | undefined;
  if (method !== 'tcpdump') {
    const { pcap, why } = loadNativePcap();
    if (pcap) {
      try {
        const n = startNativeCapture(pcap, opts);
        return { packets: n.packets, method: 'libpcap', ready: Promise.resolve(), stop: () => n.stop(), kernelDrops: () => n.kernelDrops() };
      } catch (e) {
        if (method === 'libpcap') throw e;
        fallbackReason = (e as Error).message;
      }
    } else {
      if (method === 'libpcap') throw captureError(CAPTURE_CODES.liveCaptureFailed, `the pcap module (node_pcap) is not available: ${why}`);
      fallbackReason = `the pcap module is not available (${why})`;
    }
  }
  const t = startLiveCapture({ interface: opts.interface, filter: opts.filter });
  return { packets: t.packets, method: 'tcpdump', fallbackReason, ready: t.ready, stop: () => t.stop(), kernelDrops: () => t.kernelDrops() };
}
