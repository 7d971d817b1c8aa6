/** `ce:00:bf:3b:72:9a` → 48-bit number (exact in a double); -1 when it is not a MAC address. */
export function parseMac(s: string): number {
  const parts = s.split(':');
  if (parts.length !== 6) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return -1;
    v = v * 256 + parseInt(p, 16);
  }
  return v;
}
