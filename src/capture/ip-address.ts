/** Text forms of IP addresses: dotted quad, and IPv6 per RFC 5952 §4 (lower case, longest zero run as ::); and back. */

export function formatIpv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

export function formatIpv6(b: Uint8Array, o: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  // RFC 5952 §4.2: compress the longest run of two or more zero words, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) return `::ffff:${formatIpv4(b, o + 12)}`;
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses a dotted quad; throws RangeError on anything else. */
export function ipv4Bytes(a: string): Uint8Array {
  const parts = a.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`bad IPv4 address ${a}`);
  return Uint8Array.from(parts);
}

/** Parses an IPv6 address in any RFC 4291 §2.2 text form without an embedded IPv4 part; throws RangeError otherwise. */
export function ipv6Bytes(a: string): Uint8Array {
  if (a.split('::').length > 2) throw new RangeError(`bad IPv6 address ${a}`);
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const texts = [...h, ...Array<string>(Math.max(0, fill)).fill('0'), ...t];
  if (texts.length !== 8 || (tail !== undefined && fill < 1) || texts.some((w) => !/^[0-9a-f]{1,4}$/i.test(w))) throw new RangeError(`bad IPv6 address ${a}`);
  const words = texts.map((w) => Number.parseInt(w, 16));
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
