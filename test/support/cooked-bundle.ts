/**
 * A bundle whose per-interface captures are merged into one `-i any` capture (Linux cooked v1 or v2), as the kernel
 * would have written it (cooked-capture.mjs); a capture that is not a little-endian µs pcap already (pcapng, as the
 * lab writes some) is made one by editcap, an independent writer, first.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cookedAny } from './cooked-capture.mjs';

interface IpAddrJson {
  ifname: string;
  ifindex: number;
  address?: string;
}

/**
 * Bundle `dir` (its `ip -j addr` in ip-addr.json names each capture's interface) copied to `out` with its captures as
 * one any.pcap; `keep(name)` false leaves a snapshot file out. Returns `out`.
 */
export function cookedBundle(dir: string, out: string, version: 1 | 2, keep: (name: string) => boolean = () => true): string {
  mkdirSync(out, { recursive: true });
  const links = JSON.parse(readFileSync(join(dir, 'ip-addr.json'), 'utf8')) as IpAddrJson[];
  const inputs = [];
  for (const f of readdirSync(dir)) {
    if (!/\.pcap(ng)?$/.test(f)) {
      if (keep(f)) copyFileSync(join(dir, f), join(out, f));
      continue;
    }
    const link = links.find((l) => l.ifname === f.replace(/\.pcap(ng)?$/, ''))!;
    inputs.push({ bytes: classicPcap(join(dir, f), join(out, `${f}.classic.tmp`)), mac: link.address!, ifindex: link.ifindex });
  }
  writeFileSync(join(out, 'any.pcap'), cookedAny(inputs, version));
  for (const f of readdirSync(out)) if (f.endsWith('.classic.tmp')) rmSync(join(out, f));
  return out;
}

/** The capture at `path` as a little-endian µs pcap: as it is, or as editcap writes it (to `tmp`). */
function classicPcap(path: string, tmp: string): Buffer {
  const bytes = readFileSync(path);
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0xa1b2c3d4) return bytes;
  const r = spawnSync('editcap', ['-F', 'pcap', path, tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`editcap -F pcap ${path}: ${r.stderr}`);
  return readFileSync(tmp);
}
