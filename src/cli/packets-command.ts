import * as fs from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { openCapture } from '../ingest/open-capture.js';
import { readText } from '../ingest/read-text.js';
import { decodeRecord } from '../decode/decode-packet.js';
import { parseIpAddr } from '../gateway/ip-addr.js';
import { cookedInterfaceResolver, type CookedInterface } from '../correlate/cooked-interface.js';
import { loadSnapshotFromInputs } from '../gateway/load-snapshot.js';
import { LinkType } from '../model/capture.js';
import { InputError, type InputWarning } from '../model/errors.js';
import { newDecodedPacket } from '../model/packet.js';
import { packetToJson } from '../present/packet-json.js';
import { formatPacketLine } from '../present/packet-line.js';
import { action, EXIT, reportError } from './run-action.js';

interface PacketsOptions {
  format: 'text' | 'ndjson';
  count?: number;
  ipAddr?: string;
  snapshot?: string[];
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expects a whole number ≥ 1.');
  return n;
}

/**
 * Sync writes to stdout in 64 KiB batches: the reader is a sync generator, so output keeps pace with
 * input and memory stays flat on captures of any size. A closed pipe (`| head`) ends the listing quietly.
 */
class StdoutBatcher {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  push(line: string): void {
    this.parts.push(line);
    this.size += line.length;
    if (this.size >= 65536) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0 || this.closed) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    let at = 0;
    while (at < buf.length) {
      try {
        at += fs.writeSync(1, buf, at, buf.length - at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
          continue;
        }
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        throw e;
      }
    }
  }
}

function warn(w: InputWarning): void {
  const where = w.offset !== undefined ? `${w.file} (byte offset ${w.offset})` : w.line !== undefined ? `${w.file}:${w.line}` : w.file;
  process.stderr.write(`natlens: warning: ${where}: ${w.message} [${w.code}]\n`);
}

/** ifindex → name from an `ip addr` / `ip -j addr` snapshot, for `-i any` (LINUX_SLL2) captures. */
function interfaceNamesFrom(path: string): Map<number, string> {
  let text: string;
  try {
    text = readText(path);
  } catch (e) {
    throw new InputError('io', path, `cannot read: ${(e as Error).message}`);
  }
  const { interfaces, warnings } = parseIpAddr(text, path);
  // A file that is no `ip addr` listing at all is one error, not a warning per line.
  if (interfaces.length === 0) throw new InputError('not-a-snapshot', path, 'no interfaces found: expected `ip addr` or `ip -j addr` output');
  warnings.forEach(warn);
  return new Map(interfaces.map((i) => [i.ifindex, i.name]));
}

/**
 * What the gateway's state says about an `-i any` capture's interfaces: names by interface index (LINUX_SLL2),
 * and for Linux cooked v1 (no index) where each packet was, by MAC address and route (cooked-interface.ts).
 */
function placementFrom(paths: readonly string[]): { names: Map<number, string>; cooked: CookedInterface | null } {
  const snapshot = loadSnapshotFromInputs(paths);
  const host = snapshot.host;
  if (!host.have.addresses && !host.have.neighbours && !host.have.routes) {
    throw new InputError('not-a-snapshot', paths.join(', '), 'no interfaces, neighbours or routes found: expected `ip addr`, `ip neigh` or `ip route` output (or a bundle holding them)');
  }
  return { names: new Map(host.interfaces.map((i) => [i.ifindex, i.name])), cooked: cookedInterfaceResolver(snapshot) };
}

/**
 * List packets of each file in order (each keeps its own frame numbers). A file that cannot be read is
 * reported and the others still listed; the exit code is then 2.
 */
export function listPackets(files: readonly string[], opts: PacketsOptions): number {
  const placement = opts.snapshot?.length ? placementFrom(opts.snapshot) : null;
  const fromIpAddr = opts.ipAddr !== undefined ? interfaceNamesFrom(opts.ipAddr) : undefined;
  const interfaceNames = fromIpAddr || placement ? new Map([...(placement?.names ?? []), ...(fromIpAddr ?? [])]) : undefined;
  const cooked = placement?.cooked ?? null;
  if (files.filter((f) => f === '-').length > 1) throw new InputError('usage', '-', 'standard input can be read only once');
  const out = new StdoutBatcher();
  const pkt = newDecodedPacket();
  const ndjson = opts.format === 'ndjson';
  let left = opts.count ?? Infinity;
  let exit: number = EXIT.OK;
  for (const file of files) {
    if (left <= 0 || out.closed) break;
    try {
      const cap = openCapture(file, { onWarning: warn, ...(interfaceNames ? { interfaceNames } : {}) });
      const records = cap.records();
      for (const rec of records) {
        decodeRecord(rec, pkt);
        // The file's name for the interface (pcapng if_name, or the `ip addr` name of an SLL2 index);
        // else an `-i any` packet's bare index, written like iproute2's `@ifN`; a Linux cooked v1 packet,
        // which names none, where the snapshot places it; else nothing.
        let iface = rec.interfaceName !== '' ? rec.interfaceName : pkt.ifIndex >= 0 ? `if${pkt.ifIndex}` : '';
        if (cooked !== null && rec.linkType === LinkType.LINUX_SLL) iface = cooked(pkt) ?? iface;
        out.push((ndjson ? JSON.stringify(packetToJson(rec, pkt, iface)) : formatPacketLine(rec, pkt, iface)) + '\n');
        if (--left <= 0 || out.closed) {
          records.return();
          break;
        }
      }
    } catch (e) {
      out.flush();
      exit = Math.max(exit, reportError(e));
    }
  }
  out.flush();
  return exit;
}

export function registerPackets(program: Command): void {
  program
    .command('packets')
    .description('list the packets of pcap/pcapng captures, one line each like `tcpdump -nn -r` (or ndjson)')
    .argument('<files...>', 'capture files; - reads standard input (tcpdump -w - | natlens packets -)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'ndjson']).default('text'))
    .option('--count <n>', 'stop after N packets in all', parseCount)
    .option('--ip-addr <file>', '`ip addr` or `ip -j addr` output naming the interfaces of an `-i any` capture')
    .option(
      '--snapshot <path>',
      'a bundle directory or snapshot file (ip addr, ip neigh, ip route; repeatable) placing an `-i any` capture\'s packets on the gateway\'s interfaces: by index, or for Linux cooked v1 (tcpdump before 4.99, no index) by MAC address and route',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .action(action((files: string[], opts: PacketsOptions) => listPackets(files, opts)));
}
