/**
 * tcpdump's arguments for recording what reaches a mirror (recorder) port on loopback.
 *
 * Only datagrams sent TO the port: the port is picked free and then left unbound (nothing listens
 * on it, tcpdump records), so the kernel may hand the same number to another socket as its
 * ephemeral source port — in the soak, once, the caller's own socket, whose unmasked packets to the
 * relay then matched `udp port N` and read as 32 leaked digits on the mirror.
 */
export function mirrorCaptureArgs(capture: string, port: number): string[] {
  return ['-i', 'lo', '-U', '--immediate-mode', '-s', '2048', '-B', '8192', '-w', capture, 'udp', 'dst', 'port', String(port)];
}
