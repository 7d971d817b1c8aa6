/**
 * A lab bundle's iptables rules as nftables shows them: restored into iptables-nft in a network namespace of its
 * own (counters kept) and listed by `nft list ruleset`; renamed into tables of nftables' own; put in a bundle in
 * place of the iptables files.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { editedBundle } from './bundle-edit.js';
import { parseIpset } from '../../src/gateway/ipset.js';

/** nft, iptables-nft-restore and unshare are there (and may be run: root). */
export const HAVE_NFT = spawnSync('sh', ['-c', 'command -v nft && command -v iptables-nft-restore && command -v unshare'], { stdio: 'ignore' }).status === 0;

/** The bundle's iptables-save.txt restored into iptables-nft and listed by nft (the ipset sets its rules name made first, empty). */
export function listedByNft(dir: string): string {
  const sets = readdirSync(dir)
    .filter((f) => /^ipset-.*\.txt$/.test(f))
    .flatMap((f) => parseIpset(readFileSync(join(dir, f), 'utf8'), f).sets)
    .map((s) => `ipset create ${s.name} ${s.type}${s.family ? ` family ${s.family}` : ''}${s.type === 'bitmap:port' ? ' range 0-65535' : ''} && `)
    .join('');
  const listed = spawnSync('unshare', ['-n', 'sh', '-c', `${sets}iptables-nft-restore -c && nft list ruleset`], { input: readFileSync(join(dir, 'iptables-save.txt')), encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`iptables-nft-restore | nft list ruleset failed: ${listed.stderr}`);
  return listed.stdout;
}

/** iptables-nft's tables renamed (`ip filter` → `ip filter_native`): the same rules as a gateway configured in nftables holds them. */
export function asNativeTables(listing: string): string {
  return listing.replace(/^table ip (raw|mangle|nat|filter|security) \{/gm, 'table ip $1_native {');
}

/** A copy of bundle `dir` at `to` with its iptables files (and lab.json) replaced by an nft listing. */
export function withNftListing(dir: string, to: string, listing: string): string {
  const edits = Object.fromEntries(readdirSync(dir).filter((f) => f.startsWith('iptables-') || f === 'lab.json').map((f) => [f, null]));
  return editedBundle(dir, to, edits, { 'nft-ruleset.txt': Buffer.from(listing) });
}
