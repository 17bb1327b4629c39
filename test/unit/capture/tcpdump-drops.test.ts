/** tcpdump's exit statistics, as it prints them on stderr (tcpdump 4.99, libpcap 1.10). */
import { describe, expect, it } from 'vitest';
import { parseKernelDrops } from '../../../src/capture/live-capture.ts';

describe('parseKernelDrops', () => {
  it('reads the kernel drop count from the statistics tcpdump prints on exit', () => {
    const stderr = 'tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 2048 bytes\n1204 packets captured\n1210 packets received by filter\n6 packets dropped by kernel\n';
    expect(parseKernelDrops(stderr)).toBe(6);
    expect(parseKernelDrops('listening on lo\n1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n')).toBe(0);
    expect(parseKernelDrops('1 packet captured\n1 packet received by filter\n1 packet dropped by kernel\n')).toBe(1);
  });

  it('says nothing when tcpdump printed no statistics (killed, or still running)', () => {
    expect(parseKernelDrops('tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 2048 bytes\n')).toBeUndefined();
    expect(parseKernelDrops('')).toBeUndefined();
    // The interface's own drops line is not the kernel's.
    expect(parseKernelDrops('3 packets dropped by interface\n')).toBeUndefined();
  });
});
