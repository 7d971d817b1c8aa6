/** IPv4 addresses as unsigned 32-bit integers, the form every hot path uses. */

export interface Cidr4 {
  readonly addr: number;
  readonly prefix: number;
}

export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Parse dotted-quad; returns -1 (never a valid u32) when `s` is not an IPv4 address. */
export function parseIpv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `10.0.4.0/24`, `10.0.4.10` (=/32), `0.0.0.0/0`, `10.0.4.0/255.255.255.0`; null when not IPv4. */
export function parseCidr4(s: string): Cidr4 | null {
  const slash = s.indexOf('/');
  const addr = parseIpv4(slash < 0 ? s : s.slice(0, slash));
  if (addr < 0) return null;
  if (slash < 0) return { addr, prefix: 32 };
  const rest = s.slice(slash + 1);
  let prefix: number;
  if (/^\d{1,2}$/.test(rest)) {
    prefix = Number(rest);
    if (prefix > 32) return null;
  } else {
    const mask = parseIpv4(rest);
    if (mask < 0) return null;
    prefix = 0;
    while (prefix < 32 && (mask & (0x80000000 >>> prefix)) !== 0) prefix++;
    if (prefixMask(prefix) !== mask) return null;
  }
  return { addr: (addr & prefixMask(prefix)) >>> 0, prefix };
}

export function cidrContains(c: Cidr4, a: number): boolean {
  const m = prefixMask(c.prefix);
  return ((a & m) >>> 0) === ((c.addr & m) >>> 0);
}

export function cidrToString(c: Cidr4): string {
  return `${ipv4ToString(c.addr)}/${c.prefix}`;
}

/** IPv6 as four 32-bit words → RFC 5952 text (lower case, longest zero run compressed). */
export function ipv6ToString(w: ArrayLike<number>): string {
  const h: number[] = [];
  for (let i = 0; i < 4; i++) {
    h.push((w[i]! >>> 16) & 0xffff, w[i]! & 0xffff);
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = h.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

export function macToString(m: number): string {
  const out: string[] = [];
  for (let i = 5; i >= 0; i--) out.push((Math.floor(m / 2 ** (8 * i)) & 255).toString(16).padStart(2, '0'));
  return out.join(':');
}
