/**
 * Read, sniff, parse and reconcile a snapshot: the files of a bundle folder or files named explicitly.
 *
 * Capture files (pcap/pcapng magic) are noted as kind 'capture' and not read further. A file none of the parsers
 * accepts, or one with NUL bytes, is listed as 'ignored' with the reason, except when the user named it
 * explicitly: then it is an InputError naming the file and line ('not-a-snapshot' / 'binary-file').
 */
import { parseArpN, parseRouteN } from './net-tools.js';
import { statSync } from 'node:fs';
import { captureHead } from '../ingest/gzip-source.js';
import { readText } from '../ingest/read-text.js';
import { isTarArchive, TAR_HEAD_BYTES, tarArchiveMessage, unreadCompression, unreadCompressionMessage } from '../ingest/unread-compression.js';
import { sniffCaptureFormat } from '../ingest/sniff-capture-format.js';
import { InputError, type InputWarning } from '../model/errors.js';
import { policyTablesMissing, tableName, type BootSysctls, type ConntrackEntry, type ConntrackStats, type HostInterface, type KernelMessage, type Neighbour, type PolicyRule, type Qdisc, type Route, type Sysctl } from '../model/host.js';
import type { NftRuleset } from '../model/nftables.js';
import type { Snapshot, SnapshotFile, SnapshotFileKind } from '../model/snapshot.js';
import { parseConntrack } from './conntrack.js';
import { parseConntrackStats } from './conntrack-stats.js';
import { parseKernelLog } from './kernel-log.js';
import { parseTcQdisc } from './tc-qdisc.js';
import { parseIpAddr } from './ip-addr.js';
import { parseIpset } from './ipset.js';
import type { IpSet } from '../model/ipset.js';
import type { Rule, Ruleset } from '../model/ruleset.js';
import { parseIpNeigh } from './ip-neigh.js';
import { parseIpRoute } from './ip-route.js';
import { parseIpRule } from './ip-rule.js';
import { parseIptablesList } from './iptables-list.js';
import { parseIptablesSave } from './iptables-save.js';
import { parseIptablesRulesSpec } from './iptables-spec.js';
import { parseNftRuleset } from './nft-ruleset.js';
import { reconcileRulesets, type RulesetInput } from './reconcile.js';
import { discoverFolder } from '../ingest/discover-inputs.js';
import { joinBootSysctls, parseSysctlConf } from './sysctl-conf.js';
import { splitSections } from './sections.js';
import { sniffDetail } from './sniff.js';
import { parseSysctl, singleValue, sysctlKeyOfPath } from './sysctl.js';

/** A snapshot text file larger than this is not one (a core dump, a capture without magic). */
const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

export interface LoadSnapshotOptions {
  /** Files were named by the user: a file that is not a snapshot is an error, not a note. */
  readonly explicit: boolean;
  /** When only some paths were named explicitly (the rest came from a folder). Overrides `explicit` per path. */
  readonly explicitPaths?: ReadonlySet<string>;
}

export function loadSnapshot(paths: readonly string[], opts: LoadSnapshotOptions): Snapshot {
  const files: SnapshotFile[] = [];
  const warnings: InputWarning[] = [];
  const rules4: RulesetInput[] = [];
  const rules6: RulesetInput[] = [];
  const sysctls = new Map<string, Sysctl>();
  const interfaces: HostInterface[] = [];
  const routes: Route[] = [];
  const neighbours: Neighbour[] = [];
  let conntrack: ConntrackEntry[] | null = null;
  let conntrackStats: ConntrackStats | null = null;
  const kernelMessages: KernelMessage[] = [];
  const qdiscs: Qdisc[] = [];
  const policyRules: PolicyRule[] = [];
  /** `nft list ruleset` texts: read once every file is in (iptables-nft's own tables are left to the iptables rules). */
  const nftTexts: { text: string; path: string }[] = [];
  /** ipset sets by name; null until an ipset listing is read. */
  let ipsets: Map<string, IpSet> | null = null;
  /** The boot configuration's listings, in the order read. */
  const boot: BootSysctls[] = [];
  const have = { sysctls: false, addresses: false, routes: false, neighbours: false, conntrack: false };

  /** Parse `text` (of `path`) as `kind` into what the snapshot gathers. */
  const take = (kind: SnapshotFileKind, text: string, path: string): void => {
    switch (kind) {
      case 'iptables-save':
      case 'ip6tables-save': {
        const r = parseIptablesSave(text, path);
        for (const x of r.warnings) warnings.push(x);
        (r.ruleset.family === 6 ? rules6 : rules4).push({ ruleset: r.ruleset, exactCounters: true });
        break;
      }
      case 'iptables-list': {
        const r = parseIptablesList(text, path);
        for (const x of r.warnings) warnings.push(x);
        (r.ruleset.family === 6 ? rules6 : rules4).push({ ruleset: r.ruleset, exactCounters: r.exactCounters });
        break;
      }
      case 'iptables-S': {
        const r = parseIptablesRulesSpec(text, path);
        for (const x of r.warnings) warnings.push(x);
        (r.ruleset.family === 6 ? rules6 : rules4).push({ ruleset: r.ruleset, exactCounters: true });
        break;
      }
      case 'sysctl': {
        const r = parseSysctl(text, path);
        for (const x of r.warnings) warnings.push(x);
        for (const [k, v] of r.sysctls) {
          const prev = sysctls.get(k);
          if (prev && prev.value !== v.value) {
            warnings.push({ code: 'sysctl-conflict', file: path, line: v.source.line, message: `${k} = ${v.value} here but ${prev.value} in ${prev.source.file}:${prev.source.line}; the first is kept` });
            continue;
          }
          if (!prev) sysctls.set(k, v);
        }
        have.sysctls = true;
        break;
      }
      case 'sysctl-conf': {
        const r = parseSysctlConf(text, path);
        for (const x of r.warnings) warnings.push(x);
        boot.push(r.boot);
        break;
      }
      case 'ip-addr': {
        const r = parseIpAddr(text, path);
        for (const x of r.warnings) warnings.push(x);
        // `ip addr` text and `ip -j addr` of the same moment describe the same links; `ip -br link` and
        // `ip -br addr` each describe half of them (MACs, addresses) and name no ifindex: one record per link.
        for (const i of r.interfaces) {
          const k = interfaces.findIndex((x) => x.name === i.name && (x.ifindex === i.ifindex || x.ifindex < 0 || i.ifindex < 0));
          if (k < 0) interfaces.push(i);
          else interfaces[k] = mergeInterface(interfaces[k]!, i);
        }
        have.addresses = true;
        break;
      }
      case 'ip-route':
      case 'route-n': {
        const r = kind === 'ip-route' ? parseIpRoute(text, path) : parseRouteN(text, path);
        for (const x of r.warnings) warnings.push(x);
        for (const rt of r.routes) if (!routes.some((x) => sameRoute(x, rt))) routes.push(rt);
        have.routes = true;
        break;
      }
      case 'ip-neigh':
      case 'arp-n': {
        const r = kind === 'ip-neigh' ? parseIpNeigh(text, path) : parseArpN(text, path);
        for (const x of r.warnings) warnings.push(x);
        for (const nb of r.neighbours) if (!neighbours.some((x) => x.address === nb.address && x.dev === nb.dev)) neighbours.push(nb);
        have.neighbours = true;
        break;
      }
      case 'conntrack': {
        const r = parseConntrack(text, path);
        for (const x of r.warnings) warnings.push(x);
        conntrack = [...(conntrack ?? []), ...r.entries];
        have.conntrack = true;
        break;
      }
      case 'conntrack-stats': {
        const r = parseConntrackStats(text, path);
        for (const x of r.warnings) warnings.push(x);
        // Two listings of one moment (conntrack -S and /proc/net/stat/nf_conntrack) count the same drops: the first is kept.
        conntrackStats ??= r.stats;
        break;
      }
      case 'ip-rule': {
        const r = parseIpRule(text, path);
        for (const x of r.warnings) warnings.push(x);
        // `ip rule` text and `ip -j rule` of one moment give each rule twice.
        for (const x of r.rules) if (x.family === 4 && !policyRules.some((y) => y.priority === x.priority && y.text.replace(/\s+/g, ' ') === x.text.replace(/\s+/g, ' '))) policyRules.push(x);
        break;
      }
      case 'nftables':
        nftTexts.push({ text, path });
        break;
      case 'ipset': {
        const r = parseIpset(text, path);
        for (const x of r.warnings) warnings.push(x);
        ipsets ??= new Map();
        // `ipset save` and `ipset list` of one moment list each set twice: the first is kept.
        for (const set of r.sets) if (!ipsets.has(set.name)) ipsets.set(set.name, set);
        break;
      }
      case 'tc-qdisc': {
        const r = parseTcQdisc(text, path);
        for (const x of r.warnings) warnings.push(x);
        for (const x of r.qdiscs) qdiscs.push(x);
        break;
      }
      case 'kernel-log': {
        for (const m of parseKernelLog(text, path)) {
          const k = kernelMessages.findIndex((x) => x.kind === m.kind);
          if (k < 0) kernelMessages.push(m);
          else kernelMessages[k] = { kind: m.kind, count: kernelMessages[k]!.count + m.count, lines: [...kernelMessages[k]!.lines, ...m.lines] };
        }
        break;
      }
    }
  };

  for (const path of paths) {
    const explicit = opts.explicitPaths?.has(path) ?? opts.explicit;
    const ignore = (reason: string, code: 'not-a-snapshot' | 'binary-file' | 'empty-file' | 'io', line?: number): void => {
      if (explicit) throw new InputError(code, path, reason, line !== undefined ? { line } : {});
      files.push({ path, kind: 'ignored', reason });
    };
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) {
        ignore('not a regular file', 'io');
        continue;
      }
      size = st.size;
    } catch (e) {
      ignore(`cannot read: ${(e as Error).message}`, 'io');
      continue;
    }
    if (size === 0) {
      // Empty output is legitimate (`conntrack -L` with no entries prints nothing to stdout), so even a file
      // named explicitly is only noted, not an error.
      files.push({ path, kind: 'ignored', reason: 'empty file' });
      warnings.push({ code: 'empty-file', file: path, offset: 0, message: 'empty file: nothing to read (an empty `conntrack -L` is normal)' });
      continue;
    }
    let head: Uint8Array;
    try {
      head = captureHead(path, TAR_HEAD_BYTES).bytes;
    } catch (e) {
      // An InputError from opening the file says "cannot read" itself.
      ignore(e instanceof InputError ? e.message : `cannot read: ${(e as Error).message}`, 'io');
      continue;
    }
    if (sniffCaptureFormat(head) !== null) {
      files.push({ path, kind: 'capture' });
      continue;
    }
    const packed = unreadCompression(head);
    if (packed) {
      // Most likely a capture (a snapshot is a few KB of text): named for what it is, never read as text.
      const message = unreadCompressionMessage(packed, path);
      if (explicit) throw new InputError('not-a-capture', path, message, { offset: 0 });
      files.push({ path, kind: 'ignored', reason: message });
      warnings.push({ code: 'compressed-unread', file: path, offset: 0, message });
      continue;
    }
    if (isTarArchive(head)) {
      ignore(tarArchiveMessage(path), 'not-a-snapshot');
      continue;
    }
    if (size > MAX_SNAPSHOT_BYTES) {
      ignore(`too large for a snapshot text (${size} bytes)`, 'not-a-snapshot');
      continue;
    }
    let text: string;
    try {
      text = readText(path);
    } catch (e) {
      ignore(`cannot read: ${(e as Error).message}`, 'io');
      continue;
    }
    // One value in a file the path names (a copy of /proc/sys): that sysctl, cited at its line.
    const key = sysctlKeyOfPath(path);
    const value = key === null ? null : singleValue(text);
    if (key !== null && value !== null) {
      files.push({ path, kind: 'sysctl' });
      const line = text.split('\n').findIndex((l) => l.trim() !== '') + 1;
      take('sysctl', `${'\n'.repeat(line - 1)}${key} = ${value}\n`, path);
      continue;
    }
    // Several commands' output in one file, each under a heading: each section read as a file of its own.
    const sections = splitSections(text);
    if (sections) {
      const kinds: SnapshotFileKind[] = [];
      for (const sec of sections) {
        const sniffed = sniffDetail(sec.text).kind;
        // Under a heading that names the boot configuration, assignments (or comments alone) are what boot sets.
        const k = sec.boot && (sniffed === 'sysctl' || sniffed === 'sysctl-conf' || (sniffed === 'ignored' && !sec.text.includes('\0'))) ? 'sysctl-conf' : sniffed;
        if (k === 'ignored' || k === 'capture' || k === 'combined') continue;
        kinds.push(k);
        take(k, sec.text, path);
      }
      if (kinds.length > 0) {
        files.push({ path, kind: 'combined', sections: kinds });
        continue;
      }
    }
    const sniff = sniffDetail(text);
    if (sniff.kind === 'ignored' || sniff.kind === 'capture' || sniff.kind === 'combined') {
      const binary = text.includes('\0');
      ignore(sniff.reason ?? 'not a snapshot file', binary ? 'binary-file' : sniff.reason === 'empty file' ? 'empty-file' : 'not-a-snapshot', sniff.line);
      continue;
    }
    files.push({ path, kind: sniff.kind });
    take(sniff.kind, text, path);
  }
  const v4 = reconcileRulesets(rules4);
  const v6 = reconcileRulesets(rules6);
  for (const x of policyWarnings(routes, policyRules)) warnings.push(x);
  for (const x of ipsetWarnings(v4.rules, ipsets)) warnings.push(x);
  let nft: NftRuleset | null = null;
  for (const { text, path } of nftTexts) {
    const r = parseNftRuleset(text, path, { iptablesGiven: Object.keys(v4.rules?.tables ?? {}) });
    for (const x of r.warnings) warnings.push(x);
    nft = nft
      ? { file: nft.file, baseChains: [...nft.baseChains, ...r.ruleset.baseChains], iptablesTables: [...nft.iptablesTables, ...r.ruleset.iptablesTables], skippedTables: [...nft.skippedTables, ...r.ruleset.skippedTables] }
      : r.ruleset;
  }
  return {
    rules: v4.rules,
    rules6: v6.rules,
    nft,
    host: { sysctls, interfaces, routes, neighbours, conntrack, conntrackStats, kernelMessages, qdiscs, policyRules: policyRules.sort((a, b) => a.priority - b.priority), ...(ipsets ? { ipsets } : {}), ...(boot.length ? { bootSysctls: joinBootSysctls(boot) } : {}), have },
    files,
    disagreements: [...v4.disagreements, ...v6.disagreements],
    warnings,
  };
}

/**
 * Policy routing half given: routes in tables only `ip rule` can select, with no `ip rule` list (natlens then routes by
 * main alone); or rules that look up tables the routes do not hold (`ip route` shows main alone).
 */
function policyWarnings(routes: readonly Route[], rules: readonly PolicyRule[]): InputWarning[] {
  const out: InputWarning[] = [];
  if (rules.length === 0) {
    const ruled = routes.filter((r) => r.family === 4 && !['main', 'local', 'default'].includes(tableName(r.table)));
    const other = ruled[0];
    if (other) {
      const tables = [...new Set(ruled.map((r) => r.table))];
      out.push({ code: 'policy-rules-missing', file: other.source.file, line: other.source.line, message: `routes in table${tables.length > 1 ? 's' : ''} ${tables.join(', ')}, which only ip rules select, and no \`ip rule\` list: routed by the main table alone (give \`ip rule\` or \`ip -j rule\` with the bundle)` });
    }
    return out;
  }
  if (!routes.some((r) => r.family === 4)) return out;
  for (const r of policyTablesMissing(rules, new Set(routes.filter((x) => x.family === 4).map((x) => x.table)))) {
    out.push({ code: 'policy-table-missing', file: r.source.file, line: r.source.line, message: `ip rule ${r.priority} looks up table ${r.table}, which the routes do not hold: taken as empty (give \`ip route show table all\`)` });
  }
  return out;
}

/**
 * iptables rules that look packets up in ipset sets the snapshot does not list: whether they match cannot be told
 * (the walk says "may match"). One warning for a bundle without any ipset listing, at the first such rule; else one
 * per set the listing lacks.
 */
function ipsetWarnings(rules: Ruleset | null, ipsets: ReadonlyMap<string, IpSet> | null): InputWarning[] {
  // In the order of the files' lines.
  const using = Object.values(rules?.tables ?? {})
    .flatMap((t) => t.chains.flatMap((c) => c.rules))
    .sort((a, b) => a.source.file.localeCompare(b.source.file) || a.source.line - b.source.line);
  const unknown = new Map<string, Rule>();
  for (const r of using) for (const m of r.matches) if (m.kind === 'set' && !ipsets?.has(m.name) && !unknown.has(m.name)) unknown.set(m.name, r);
  if (!unknown.size) return [];
  const at = (r: Rule) => ({ file: r.source.file, line: r.source.line });
  if (!ipsets) {
    const names = [...unknown.keys()];
    return [{ code: 'ipset-missing', ...at([...unknown.values()][0]!), message: `rules look packets up in the ipset set${names.length === 1 ? '' : 's'} ${names.join(', ')}, and the snapshot holds no ipset listing: whether they match cannot be told (give \`ipset save\` with the bundle)` }];
  }
  return [...unknown].map(([name, r]) => ({ code: 'ipset-missing', ...at(r), message: `this rule looks packets up in the ipset set ${name}, which the ipset listing does not hold: whether it matches cannot be told` }));
}

/** One link from two listings: the first's values, with what it lacks (ifindex, MTU, MAC, link type, flags, addresses) from the second. */
function mergeInterface(a: HostInterface, b: HostInterface): HostInterface {
  return {
    ifindex: a.ifindex >= 0 ? a.ifindex : b.ifindex,
    name: a.name,
    mtu: a.mtu || b.mtu,
    flags: a.flags.length ? a.flags : b.flags,
    operState: a.operState !== 'UNKNOWN' ? a.operState : b.operState,
    mac: a.mac ?? b.mac,
    link: a.link ?? b.link ?? null,
    addresses: [...a.addresses, ...b.addresses.filter((x) => !a.addresses.some((y) => y.family === x.family && y.address === x.address && y.prefix === x.prefix))],
    source: a.source,
  };
}

/** `ip route` text and `ip -j route` of one moment give each route twice. */
function sameRoute(a: Route, b: Route): boolean {
  return (
    a.table === b.table &&
    a.type === b.type &&
    a.family === b.family &&
    a.metric === b.metric &&
    a.via === b.via &&
    a.dev === b.dev &&
    (a.dst === null ? b.dst === null : b.dst !== null && a.dst.addr === b.dst.addr && a.dst.prefix === b.dst.prefix) &&
    (a.family === 4 || a.text === b.text)
  );
}

/**
 * The snapshot the user's inputs hold: bundle folders are listed (files that are not snapshot files are
 * noted and skipped), files named directly must be snapshot files (or captures, which are set aside).
 */
export function loadSnapshotFromInputs(inputs: readonly string[]): Snapshot {
  const paths: string[] = [];
  const explicitPaths = new Set<string>();
  const listed: InputWarning[] = [];
  for (const i of inputs) {
    let dir: boolean;
    try {
      dir = statSync(i).isDirectory();
    } catch (e) {
      throw new InputError('io', i, `cannot read: ${(e as Error).message}`);
    }
    if (dir) {
      const folder = discoverFolder(i);
      for (const x of folder.files) paths.push(x);
      for (const w of folder.warnings) listed.push(w);
    } else {
      paths.push(i);
      explicitPaths.add(i);
    }
  }
  const snapshot = loadSnapshot(paths, { explicit: false, explicitPaths });
  return listed.length ? { ...snapshot, warnings: [...listed, ...snapshot.warnings] } : snapshot;
}
