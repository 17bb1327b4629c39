/** A datagram of n octets whose every octet is derived from `tag`, so two held or viewed copies can be told apart. */
export function taggedDatagram(tag: number, n: number): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = (tag * 31 + i * 7) & 0xff;
  return d;
}
