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

/** A group address (broadcast, multicast): the lowest bit of the first octet set. 0 (no MAC) is not one. */
export function isGroupMac(mac: number): boolean {
  return ((mac / 1099511627776) & 1) === 1;
}

/**
 * Record that `mac` belongs to `name`. A MAC seen under two names (a bridge and its port, VLAN devices on one
 * parent, a neighbour heard on both sides) cannot tell them apart: it is kept as '' (known, but ambiguous).
 */
export function addMacOwner(owners: Map<number, string>, mac: number, name: string): void {
  if (mac <= 0) return;
  const had = owners.get(mac);
  if (had === undefined) owners.set(mac, name);
  else if (had !== name) owners.set(mac, '');
}

/** MAC (as text, or null) → name, for a list of things that have both; ambiguous MACs map to ''. */
export function macOwners(entries: Iterable<readonly [string | null, string]>): Map<number, string> {
  const owners = new Map<number, string>();
  for (const [mac, name] of entries) if (mac) addMacOwner(owners, parseMac(mac), name);
  return owners;
}
