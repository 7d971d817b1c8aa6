/**
 * tshark as a test oracle: field extraction, one row per frame. Tests that use it skip cleanly
 * (describe.skipIf(!HAVE_TSHARK)) where tshark is missing; CI installs it, so there they run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const HAVE_TSHARK = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

/**
 * `tshark -n -r FILE -T fields -e …` with the first occurrence of each field (an ICMP error quotes a
 * second IP header; the outer one is wanted). Returns one string[] per frame, '' for absent fields.
 */
export function tsharkFields(file: string, fields: readonly string[], extra: readonly string[] = []): string[][] {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', ...extra];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** tshark's frame.time_epoch ("1795687113.123456789") as [sec, nsec]; [0, 0] when the frame has none. */
export function parseEpoch(text: string): [number, number] {
  if (text === '') return [0, 0];
  const [s, f = ''] = text.split('.');
  return [Number(s), Number(f.padEnd(9, '0').slice(0, 9))];
}

/**
 * A copy of bundle folder `from` in the new folder `to` whose captures keep only the frames tshark's display
 * `filter` passes (what a capture filter would have left: `not arp`, or the gateway's ICMP answers taken out).
 */
export function bundleFilteredByTshark(from: string, to: string, filter: string): string {
  mkdirSync(to);
  for (const f of readdirSync(from)) {
    if (!/\.pcap(ng)?$/.test(f)) {
      copyFileSync(join(from, f), join(to, f));
      continue;
    }
    const r = spawnSync('tshark', ['-r', join(from, f), '-Y', filter, '-w', join(to, f)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tshark -Y '${filter}' on ${f}: ${r.stderr}`);
  }
  return to;
}
