/**
 * A bundle whose per-interface captures are merged into one `-i any` capture (Linux cooked v1 or v2), as the kernel
 * would have written it (cooked-capture.mjs); editcap (an independent writer) first makes each a classic pcap.
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
    const classic = join(out, `${f}.classic.tmp`);
    const r = spawnSync('editcap', ['-F', 'pcap', join(dir, f), classic], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`editcap -F pcap ${f}: ${r.stderr}`);
    inputs.push({ bytes: readFileSync(classic), mac: link.address!, ifindex: link.ifindex });
  }
  writeFileSync(join(out, 'any.pcap'), cookedAny(inputs, version));
  for (const f of readdirSync(out)) if (f.endsWith('.classic.tmp')) rmSync(join(out, f));
  return out;
}
