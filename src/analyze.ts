import type { Analysis, AnalyzeOptions, InputFile } from './model/analysis.js';
import { InputError, type InputWarning } from './model/errors.js';
import type { Snapshot } from './model/snapshot.js';
import { isoNs } from './model/time.js';
import { discoverInputs } from './ingest/discover-inputs.js';
import { fileDigest } from './ingest/file-digest.js';
import { captureBytes, captureHead } from './ingest/gzip-source.js';
import { isTarArchive, TAR_HEAD_BYTES, tarArchiveMessage, unreadCompression, unreadCompressionMessage } from './ingest/unread-compression.js';
import { digestInBackground } from './ingest/background-digest.js';
import { PACKET_TEXT_HEAD_BYTES, packetTextTool } from './ingest/packet-text.js';
import { decodeText } from './ingest/read-text.js';
import { loadSnapshot } from './gateway/load-snapshot.js';
import { simulate } from './simulate/simulate.js';
import { correlate } from './correlate/correlate.js';
import { ReaderThread } from './correlate/ingest-thread.js';
import { READ_AS_THEY_COME, READ_PER_INTERFACE } from './correlate/capture-merge.js';
import { runChecks } from './diagnose/run-checks.js';
import { buildAnalysis } from './diagnose/build-analysis.js';
import { snapshotFitWarnings } from './diagnose/snapshot-fit.js';
import { ipProtocolName } from './present/packet-names.js';
import type { CheckContext } from './diagnose/check.js';
import { statSync } from 'node:fs';

/**
 * The whole pipeline: discover inputs → load the snapshot → read, decode and correlate the captures
 * (simulating each flow's first packet) → run the checks → the Analysis.
 */
export async function analyze(paths: readonly string[], options: AnalyzeOptions = {}): Promise<Analysis> {
  const discovered = discoverInputs(paths);
  const warnings: InputWarning[] = [...discovered.warnings];
  if (!discovered.captures.length) {
    throw new InputError('no-captures', paths.join(' '), `no capture (pcap or pcapng) among the inputs${insteadOfCaptures(discovered.others.map((o) => o.path))}`);
  }
  const bytesTotal = discovered.captures.reduce((n, p) => n + (p === '-' ? 0 : captureBytes(p)), 0);
  // Large captures are read on a second thread, started now so that it loads while the snapshot does
  // (ingest-thread.ts). Every capture file's SHA-256: by that thread as it reads them, else on a thread of
  // its own while this one reads them; a file neither hashed is hashed here when asked for.
  const reader = ReaderThread.start(discovered.captures, bytesTotal);
  const digests = digestInBackground(reader ? [] : discovered.captures.filter((p) => p !== '-'));
  try {
    return await analyzeInputs(discovered, warnings, bytesTotal, digests, reader, options);
  } finally {
    reader?.stop();
    digests.stop();
  }
}

/**
 * What inputs that are no capture hold instead, for the no-captures error (each file's beginning read once):
 * captures compressed in a format natlens does not unpack, and text a packet tool printed, which is what people
 * often have at hand — with what to give instead.
 */
function insteadOfCaptures(others: readonly string[]): string {
  const packed: string[] = [];
  const printed: { path: string; tool: string }[] = [];
  for (const path of others) {
    const head = captureHead(path, Math.max(PACKET_TEXT_HEAD_BYTES, TAR_HEAD_BYTES)).bytes;
    const c = unreadCompression(head);
    if (c) {
      packed.push(`; ${path} is ${unreadCompressionMessage(c, path)}`);
      continue;
    }
    if (isTarArchive(head)) {
      packed.push(`; ${path} is ${tarArchiveMessage(path)}`);
      continue;
    }
    const tool = packetTextTool(decodeText(head));
    if (tool) printed.push({ path, tool });
  }
  const hint = printed.length
    ? `; ${printed.map((o) => o.path).join(', ')} ${printed.length === 1 ? 'is' : 'are'} ${printed[0]!.tool}'s text output, which lacks what matching needs (IP ids, payloads, exact times): give the capture it was printed from, or capture each interface with tcpdump -i IFACE -w IFACE.pcap`
    : '';
  return packed.join('') + hint;
}

async function analyzeInputs(
  discovered: ReturnType<typeof discoverInputs>,
  warnings: InputWarning[],
  bytesTotal: number,
  digests: ReturnType<typeof digestInBackground>,
  reader: ReaderThread | null,
  options: AnalyzeOptions,
): Promise<Analysis> {
  const progress = options.onProgress;
  progress?.({ phase: 'snapshot', bytesRead: 0, bytesTotal, packets: 0 });

  let snapshot: Snapshot | null = null;
  if (discovered.others.length) {
    snapshot = loadSnapshot(
      discovered.others.map((o) => o.path),
      { explicit: false, explicitPaths: new Set(discovered.others.filter((o) => o.explicit).map((o) => o.path)) },
    );
    for (const x of snapshot.warnings) warnings.push(x);
  }

  progress?.({ phase: 'captures', bytesRead: 0, bytesTotal, packets: 0 });
  const before = warnings.length;
  const correlateWith = (split: ReadonlyMap<number, readonly number[]> | null) =>
    correlate(discovered.captures, snapshot, {
      inside: options.inside,
      outside: options.outside,
      simulate,
      reader: split ? null : reader,
      onWarning: (w) => warnings.push(w),
      onProgress: (packets, bytesRead) => progress?.({ phase: 'captures', bytesRead, bytesTotal, packets }),
      ...(split ? { splitByInterface: split } : {}),
    });
  let correlation = correlateWith(null);
  // Captures joined one after the other (pcapng sections from `cat`, `mergecap -a`): read again, each interface on
  // its own, merged in time order — the first reading matched nothing across them.
  const disordered = warnings.slice(before).filter((w) => w.code === 'out-of-time-order');
  const split = new Map<number, readonly number[]>();
  for (const w of disordered) {
    const i = discovered.captures.indexOf(w.file);
    const ids = correlation.windows[i]?.interfaceIds ?? [];
    if (i >= 0 && ids.length > 1) split.set(i, ids);
  }
  // Standard input was read once and is gone: nothing is read again then.
  if (discovered.captures.includes('-')) split.clear();
  if (split.size) {
    warnings.length = before;
    correlation = correlateWith(split);
    for (const w of disordered) {
      if (!split.has(discovered.captures.indexOf(w.file))) continue;
      warnings.push({ ...w, message: w.message.replace(READ_AS_THEY_COME, READ_PER_INTERFACE) });
    }
  }
  for (const name of [options.inside, options.outside]) {
    if (name && !correlation.ifaces.includes(correlation.aliases.get(name) ?? name)) {
      throw new InputError('usage', name, `interface ${name} is not in the captures (they hold: ${correlation.ifaces.join(', ') || 'none'})`);
    }
  }
  for (const x of snapshotFitWarnings(correlation.ifaces, snapshot)) warnings.push(x);
  const dups = correlation.state.ignored.duplicates;
  if (dups > 0) {
    warnings.push({
      code: 'duplicates',
      file: discovered.captures.join(', '),
      message: `${dups} packet${dups === 1 ? ' was' : 's were'} captured twice on the same interface within 1 ms and counted once`,
    });
  }
  for (const x of leftOutWarnings(correlation.state.ignored, discovered.captures)) warnings.push(x);
  const filtered = filterWarning(correlation.state, discovered.captures);
  if (filtered) warnings.push(filtered);
  progress?.({ phase: 'diagnose', bytesRead: bytesTotal, bytesTotal, packets: correlation.state.packets });

  const ifaceIndex = new Map(correlation.ifaces.map((n, i) => [n, i]));
  const ctx: CheckContext = {
    correlation,
    snapshot,
    flows: correlation.flows,
    files: discovered.captures,
    ifaceName: (i) => correlation.ifaces[i] ?? `if${i}`,
    ifaceIndex: (n) => ifaceIndex.get(n) ?? -1,
  };
  const findings = runChecks(ctx);

  const inputs: InputFile[] = [];
  for (const w of correlation.windows) {
    // Standard input was hashed while it was read (all of it, or nothing when the reader left it early);
    // files by the reading thread as it read them, or on the digest thread.
    const digest = w.file === '-' || w.sha256 !== null ? { sha256: w.sha256 ?? '', bytes: w.bytes } : await digests.get(w.file);
    inputs.push({
      path: w.file,
      kind: 'capture',
      format: w.format,
      sha256: digest.sha256,
      bytes: digest.bytes,
      interfaces: w.interfaces,
      packets: w.packets,
      first: w.first ? isoNs(w.first.sec, w.first.nsec) : null,
      last: w.last ? isoNs(w.last.sec, w.last.nsec) : null,
      captureDrops: w.dropped,
    });
    if (w.dropped) {
      warnings.push({
        code: 'capture-drops',
        file: w.file,
        message: `the capture lost ${w.dropped} packet${w.dropped === 1 ? '' : 's'} itself (interface statistics: dropped by the interface or the kernel's capture buffer): a packet missing from it may have passed the gateway all the same`,
      });
    }
  }
  for (const f of snapshot?.files ?? []) {
    if (f.kind === 'capture') continue;
    const digest = fileDigest(f.path);
    inputs.push({
      path: f.path,
      kind: f.kind === 'ignored' ? 'ignored' : 'snapshot',
      format: f.kind === 'combined' ? `combined: ${(f.sections ?? []).join(', ')}` : f.kind,
      sha256: digest.sha256,
      bytes: digest.bytes,
      interfaces: [],
      packets: 0,
      first: null,
      last: null,
      captureDrops: null,
    });
  }
  const analysis = buildAnalysis({ correlation, snapshot, findings, inputs, captureFiles: discovered.captures, warnings });
  progress?.({ phase: 'done', bytesRead: bytesTotal, bytesTotal, packets: correlation.state.packets });
  return analysis;
}

/** Packets a capture holding nothing but one IP protocol (`tcpdump -i eth0 icmp`) is not taken for a filtered one under. */
const FILTER_MIN_PACKETS = 20;

/**
 * Captures holding IPv4 of a single protocol and no other frame at all — no ARP, no IPv6 neighbour discovery, nothing
 * else — were most likely taken with a filter (`tcpdump -i eth0 icmp`, the first thing typed at 3 a.m.): what they
 * leave out cannot be judged, and "no packets stop" would speak for traffic they do not hold.
 */
function filterWarning(state: { packets: number; notIpv4: number; ipProtocols: ReadonlySet<number> }, captures: readonly string[]): InputWarning | null {
  if (state.packets < FILTER_MIN_PACKETS || state.notIpv4 > 0 || state.ipProtocols.size !== 1) return null;
  const name = ipProtocolName([...state.ipProtocols][0]!);
  return {
    code: 'capture-filtered',
    file: captures.join(', '),
    message: `the captures hold nothing but ${name} (no ARP, no IPv6, no other IP protocol in ${state.packets} packets): taken with a filter? What it left out — other traffic, and the ARP that shows a neighbour not answering — cannot be judged; if the problem traffic is not ${name}, capture it too (tcpdump without a filter, or with one naming its hosts)`,
  };
}

/**
 * Packets the correlation could not follow, said where they may matter: IPv6 (natlens follows IPv4 through the
 * iptables nat table; a problem with IPv6 traffic would otherwise meet "no packets stop" over flows that do not
 * include it) and packets cut before their IP header was whole (a snaplen too short to read them).
 */
function leftOutWarnings(ignored: { ipv6: number; truncated: number }, captures: readonly string[]): InputWarning[] {
  const out: InputWarning[] = [];
  const file = captures.join(', ');
  if (ignored.ipv6 > 0) {
    const n = ignored.ipv6;
    out.push({
      code: 'ipv6-not-followed',
      file,
      message: `${n} IPv6 packet${n === 1 ? ' was' : 's were'} left out: natlens follows IPv4 through the gateway's NAT (the iptables nat table); if the traffic in question is IPv6, these findings do not cover it`,
    });
  }
  if (ignored.truncated > 0) {
    const n = ignored.truncated;
    out.push({
      code: 'cut-short',
      file,
      message: `${n} packet${n === 1 ? ' was' : 's were'} cut before the end of ${n === 1 ? 'its' : 'their'} IP header and could not be followed: capture with a larger snaplen (tcpdump -s 0)`,
    });
  }
  return out;
}
