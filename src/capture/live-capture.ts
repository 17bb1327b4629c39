/**
 * Live capture through a spawned `tcpdump -w -` (the design's fallback where the native libpcap
 * module is not installed): tcpdump captures, our reader decodes its pcap stream, so live and file
 * input share one code path. tcpdump needs CAP_NET_RAW (root, or `setcap` on the binary).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CAPTURE_CODES, captureError } from './capture-errors.ts';
import { readCapture, type CaptureReader } from './read-capture.ts';

export interface LiveCaptureOptions {
  /** Interface name (`lo`, `eth0`, `any`). */
  interface: string;
  /** BPF filter expression (pcap-filter(7)), e.g. `udp portrange 10000-20000`. */
  filter?: string;
  /** Bytes kept per packet. 2048 covers any RTP frame on a 1500-byte MTU with room for tags. */
  snapLen?: number;
  /** Kernel buffer in KiB (tcpdump -B). 8192: the ring holds buffer/snaplen frames; small rings drop under load. */
  bufferKiB?: number;
  tcpdumpPath?: string;
  /** How long to wait for tcpdump to start listening. 10 s: a loaded machine can be slow to spawn. */
  startTimeoutMs?: number;
}

export interface LiveCapture {
  /** The packets, as from a file; ends after `stop()`. */
  readonly packets: CaptureReader;
  /** Resolves once tcpdump is listening; rejects with DG6009 if it could not start. */
  readonly ready: Promise<void>;
  /** Stops tcpdump (SIGINT, so it flushes what it has) and waits for it to exit. */
  stop(): Promise<void>;
  /**
   * Packets the kernel dropped, from the statistics tcpdump prints on exit ("N packets dropped by
   * kernel": libpcap's ps_drop); undefined until tcpdump has exited, or when it printed none.
   */
  kernelDrops(): number | undefined;
}

export function startLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  const args = [
    '-i', opts.interface, '--immediate-mode', '-U', '-n',
    '-s', String(opts.snapLen ?? 2048), '-B', String(opts.bufferKiB ?? 8192), '-w', '-',
  ];
  if (opts.filter) args.push(opts.filter);
  const child: ChildProcess = spawn(opts.tcpdumpPath ?? 'tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(captureError(CAPTURE_CODES.liveCaptureFailed, `tcpdump did not start listening on ${opts.interface} within ${opts.startTimeoutMs ?? 10_000} ms`));
    }, opts.startTimeoutMs ?? 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(captureError(CAPTURE_CODES.liveCaptureFailed, e.code === 'ENOENT' ? 'tcpdump is not installed: install the tcpdump package' : `cannot run tcpdump: ${e.message}`));
    });
    child.once('close', () => {
      clearTimeout(timer);
      const why = stderr.split('\n').find((l) => /tcpdump: |error|denied|No such/i.test(l))?.trim() ?? 'tcpdump exited';
      reject(captureError(CAPTURE_CODES.liveCaptureFailed, `live capture on ${opts.interface} failed: ${why.replace(/^tcpdump: /, '')}`));
    });
  });
  ready.catch(() => undefined); // a caller that only iterates sees the failure as an empty capture
  let closed = false;
  void exited.then(() => (closed = true));
  return {
    packets: readCapture(child.stdout!),
    ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
    kernelDrops: () => (closed ? parseKernelDrops(stderr) : undefined),
  };
}

/** tcpdump's exit statistics: "N packet(s) dropped by kernel" (the last such line). */
export function parseKernelDrops(stderr: string): number | undefined {
  const all = [...stderr.matchAll(/^(\d+) packets? dropped by kernel$/gm)];
  return all.length > 0 ? Number(all[all.length - 1][1]) : undefined;
}
