import type { Command } from 'commander';
import { parseIpv4 } from '../model/address.js';
import { InputError } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import type { SimPacket } from '../model/trace.js';
import { loadSnapshotFromInputs } from '../gateway/load-snapshot.js';
import { simPacket } from '../simulate/sim-packet.js';
import { simulate } from '../simulate/simulate.js';
import { traceToJson } from '../present/trace-json.js';
import { renderTraceText } from '../present/trace-text.js';
import { EXIT, action } from './run-action.js';

export interface TraceOptions {
  readonly in?: string;
  readonly proto?: string;
  readonly src?: string;
  readonly dst?: string;
  readonly sport?: string;
  readonly dport?: string;
  readonly icmpType?: string;
  readonly icmpId?: string;
  readonly size?: string;
  readonly df?: boolean;
  readonly state?: string;
  readonly mark?: string;
  readonly format?: string;
}

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132 };

/** `natlens trace BUNDLE --in IF --proto P --src A --dst B …`: what would this gateway do to this packet. */
export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('what would the gateway do to this packet: every netfilter and routing step with its rule line, the NAT before → after, and where it goes')
    .argument('<inputs...>', 'a bundle directory, or snapshot files (iptables-save, nft list ruleset, ipset save, sysctl, ip addr/route/rule/neigh, route -n, arp -n, conntrack)')
    .requiredOption('--in <iface>', 'interface the packet arrives on')
    .requiredOption('--proto <proto>', 'icmp, tcp, udp or an IP protocol number')
    .requiredOption('--src <addr>', 'source IPv4 address')
    .requiredOption('--dst <addr>', 'destination IPv4 address')
    .option('--sport <port>', 'TCP/UDP source port (default 40000)')
    .option('--dport <port>', 'TCP/UDP destination port (required for tcp/udp)')
    .option('--icmp-type <n>', 'ICMP type (default 8, echo request)')
    .option('--icmp-id <n>', 'ICMP echo identifier (default 1)')
    .option('--size <bytes>', 'IP total length (default: a 64-byte ping, a bare TCP/UDP header)')
    .option('--df', 'the Don\'t Fragment bit is set')
    .option('--state <state>', 'new (first packet of a connection), established/related (a later packet: the snapshot\'s conntrack entry translates it) or invalid (no conntrack entry and not one to start one: not NATed, matched by --ctstate INVALID)', 'new')
    .option('--mark <n>', 'packet mark on arrival (default 0)')
    .option('--format <format>', 'text or json', 'text')
    .addHelpText('after', '\nExit status: 0 forwarded or delivered locally, 1 dropped, 2 unusable input or usage (or the snapshot cannot tell).\n')
    .action(action((inputs: string[], opts: TraceOptions) => runTrace(inputs, opts)));
}

function usage(msg: string): InputError {
  return new InputError('usage', 'trace', msg);
}

function int(name: string, v: string | undefined, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) throw usage(`${name} ${JSON.stringify(v)} is not a number`);
  const n = Number(v);
  if (n < lo || n > hi) throw usage(`${name} ${v} is out of range ${lo}..${hi}`);
  return n;
}

function addr(name: string, v: string | undefined): number {
  const a = parseIpv4(v ?? '');
  if (a < 0) throw usage(`${name} ${JSON.stringify(v ?? '')} is not an IPv4 address`);
  return a;
}

/** The packet the options describe; everything checked before the snapshot is read. */
export function packetFromOptions(opts: TraceOptions): SimPacket {
  const protoText = (opts.proto ?? '').toLowerCase();
  const proto = PROTOS[protoText] ?? int('--proto', protoText, 0, 255);
  if (proto === undefined) throw usage('--proto is required');
  const ported = proto === 6 || proto === 17 || proto === 132;
  const state = opts.state ?? 'new';
  if (state !== 'new' && state !== 'established' && state !== 'related' && state !== 'invalid') throw usage(`--state ${JSON.stringify(state)}: use new, established, related or invalid`);
  if (!ported && (opts.sport !== undefined || opts.dport !== undefined)) throw usage('--sport/--dport apply to tcp, udp and sctp only');
  if (proto !== 1 && (opts.icmpType !== undefined || opts.icmpId !== undefined)) throw usage('--icmp-type/--icmp-id apply to icmp only');
  if (ported && opts.dport === undefined) throw usage(`--dport is required for ${protoText}`);
  const size = int('--size', opts.size, 20, 65535);
  const p: Partial<SimPacket> = {
    ingress: opts.in ?? '',
    src: addr('--src', opts.src),
    dst: addr('--dst', opts.dst),
    proto,
    df: opts.df === true,
    state,
    mark: int('--mark', opts.mark, 0, 0xffffffff) ?? 0,
    ...(size !== undefined ? { size } : {}),
  };
  if (ported) {
    return simPacket({ ...(p as SimPacket), sport: int('--sport', opts.sport, 1, 65535) ?? 40000, dport: int('--dport', opts.dport, 0, 65535)! });
  }
  if (proto === 1) {
    const icmpType = int('--icmp-type', opts.icmpType, 0, 255) ?? 8;
    return simPacket({ ...(p as SimPacket), icmpType, icmpCode: 0, icmpId: int('--icmp-id', opts.icmpId, 0, 65535) ?? 1 });
  }
  return simPacket(p as SimPacket);
}

/** Bundle folders are listed (files that are not snapshot files are skipped); files named directly must be snapshot files. */
export function loadInputs(inputs: readonly string[]): Snapshot {
  return loadSnapshotFromInputs(inputs);
}

export function runTrace(inputs: readonly string[], opts: TraceOptions): number {
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw usage(`--format ${JSON.stringify(format)}: use text or json`);
  const packet = packetFromOptions(opts);
  const snapshot = loadInputs(inputs);
  const have = snapshot.host.have;
  if (!snapshot.rules && !have.sysctls && !have.addresses && !have.routes && !have.neighbours && !have.conntrack) {
    throw new InputError('no-input', inputs.join(' '), 'no snapshot files found (iptables-save, iptables -L, sysctl, ip addr/route/rule/neigh, route -n, arp -n, conntrack -L): nothing to trace against');
  }
  const names = snapshot.host.interfaces.map((i) => i.name);
  if (snapshot.host.have.addresses && !names.includes(packet.ingress)) {
    throw usage(`--in ${packet.ingress}: the snapshot's interfaces are ${names.join(', ')}`);
  }
  const trace = simulate(packet, snapshot, { conntrack: true });
  const notes: string[] = [];
  if (packet.proto === 6 || packet.proto === 17 || packet.proto === 132) {
    if (opts.sport === undefined) notes.push(`--sport not given: used ${packet.sport}`);
  } else if (packet.proto === 1 && opts.icmpId === undefined) notes.push(`--icmp-id not given: used ${packet.icmpId}`);
  if (opts.size === undefined) notes.push(`--size not given: used ${packet.size} bytes`);
  if (format === 'json') {
    process.stdout.write(JSON.stringify({ ...traceToJson(trace), defaults: notes }, null, 2) + '\n');
  } else {
    process.stdout.write(renderTraceText(trace));
    for (const n of notes) process.stdout.write(`note      ${n}\n`);
  }
  switch (trace.disposition.kind) {
    case 'forwarded':
    case 'local':
      return EXIT.OK;
    case 'dropped':
      return EXIT.PACKETS_STOP;
    case 'unknown':
      return EXIT.INPUT;
  }
}
