import type { DecodedPacket } from '../model/packet.js';
import { Net } from '../model/packet.js';
import type { InputWarning } from '../model/errors.js';

/** How many IPv4 packets of each capture are fingerprinted, and how many it needs to be judged. */
const SAMPLE = 2000;
const MIN_SAMPLE = 8;

/**
 * Captures of one link taken at two places with no router between them: the gateway's eth0 and the host end of
 * its veth, the app pod's own interface, a second capture of the same interface. Their packets are the same
 * packets with the same TTL (forwarding takes one off; a wire or a veth does not). Taken for two interfaces, every
 * packet of the second one waits for a copy with a TTL one lower that never comes, and counts as stopped. A capture
 * whose packets (IP id, addresses, protocol, TTL, payload) are nearly all (9 in 10) those of a gateway interface's capture is
 * taken for that interface: its copies then count once (the correlator's duplicates).
 */
export class SameLinkLook {
  readonly #keys = new Map<string, { file: string; keys: Set<string> }>();

  /** One packet looked at, as captured on `iface` (the capture's own name) of `file`. */
  visit(file: string, iface: string, d: DecodedPacket): void {
    if (d.net !== Net.IPV4) return;
    let e = this.#keys.get(iface);
    if (!e) this.#keys.set(iface, (e = { file, keys: new Set() }));
    // The payload's hash and length tell apart what IP id 0 (DF traffic of some stacks) does not.
    if (e.keys.size < SAMPLE) e.keys.add(`${d.ipId}|${d.src}|${d.dst}|${d.proto}|${d.ttl}|${d.payloadLength}|${d.payloadHash}`);
  }

  /**
   * Captured names to take for the gateway interface whose capture they repeat: `gateway(name)` says which
   * captured names already are a gateway interface (its own name, or one it was taken for by MAC) and which.
   */
  aliases(gateway: (name: string) => string | null, onWarning: (w: InputWarning) => void): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, b] of this.#keys) {
      if (gateway(name) !== null || b.keys.size < MIN_SAMPLE) continue;
      for (const [other, a] of this.#keys) {
        const target = gateway(other);
        if (target === null || other === name) continue;
        let shared = 0;
        for (const k of b.keys) if (a.keys.has(k)) shared++;
        if (shared < 0.9 * b.keys.size) continue;
        out.set(name, target);
        onWarning({
          code: 'same-link-capture',
          file: b.file,
          message: `this capture holds the packets of ${target}'s capture (${a.file}), with the same TTL — no router between them: it was taken on the same link elsewhere (the host end of a veth, a pod's own interface), so it is taken as ${target}'s and each packet seen in both counts once`,
        });
        break;
      }
    }
    return out;
  }
}
