// The analysis benchmark's input: a NATed capture pair of a gateway with interfaces lan0 (inside) and
// wan0 (outside), plus its snapshot. Every tick one request arrives on lan0 and its SNATed copy leaves
// wan0 30 µs later (TTL one lower, source port remapped as --random-fully does), the remote's reply
// arrives on wan0 and its copy leaves lan0; a deterministic 1% of requests are lost at the gateway (no
// copy, no reply). Half ICMP echo, half UDP, over a few thousand concurrent flows (or as many as asked). Both files are
// written in time order, in chunks, so any size fits in little memory.

import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pcapFileHeader } from '../support/capture-writer.mjs';

const TICK_US = 10;
const COPY_TICKS = 3; // request copy leaves wan0 30 µs later
const REPLY_TICKS = 20; // reply arrives on wan0
const RETURN_TICKS = 23; // reply copy leaves lan0
const FLOWS = 4096;
const EIP = 0xcb007109; // 203.0.113.9
const GW_LAN_MAC = 0x02aa00000001;
const GW_WAN_MAC = 0x02bb00000001;
const APP_MAC = 0x02cc00000001;
const UPSTREAM_MAC = 0x02dd00000001;

function lost(k) {
  // ~1% of requests, spread evenly but not periodically.
  return ((k * 2654435761) >>> 0) % 100 === 0;
}

/**
 * Request `k`'s flow of `flows`. Up to 4,096 flows (the benchmark's usual pair) each has a source port of its own and
 * a remapped one from a scatter; more (a busy gateway's capture) reuse source ports across the 65,536 addresses of
 * 10.0/16 and take the remapped ones in order, one per remote host: every flow stays a conntrack entry of its own.
 */
function flowOf(k, flows) {
  const f = k % flows;
  const few = flows <= FLOWS;
  return {
    f,
    seq: Math.floor(k / flows),
    icmp: (f & 1) === 0,
    app: (0x0a000000 | (((f >>> 8) & 0xff) << 8) | ((f & 0xff) + 1)) >>> 0, // 10.0.x.y
    remote: (0xc6336400 | (f % 200) + 10) >>> 0, // 198.51.100.x
    sport: few ? 30000 + f : 20000 + (f % 40000),
    mapped: few ? 40000 + ((f * 7919) % 20000) : 1024 + Math.floor(f / 200),
  };
}

class Writer {
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.alloc(4 << 20);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.at = 0;
    this.packets = 0;
    writeSync(this.fd, pcapFileHeader({ snaplen: 262144, linkType: 1 }));
  }
  /** One Ethernet/IPv4 frame; kind: 'icmp-req' | 'icmp-rep' | 'udp'. */
  frame(tUs, o) {
    const payloadLen = 48;
    const l4Len = o.proto === 1 ? 8 + payloadLen : 8 + payloadLen;
    const len = 14 + 20 + l4Len;
    if (this.at + 16 + len > this.buf.length) this.flush();
    const dv = this.dv;
    const at = this.at;
    dv.setUint32(at, Math.floor(tUs / 1e6) + 1_795_687_113, true);
    dv.setUint32(at + 4, tUs % 1e6, true);
    dv.setUint32(at + 8, len, true);
    dv.setUint32(at + 12, len, true);
    const f = at + 16;
    this.buf.fill(0, f, f + len);
    dv.setUint16(f, Math.floor(o.dstMac / 2 ** 32));
    dv.setUint32(f + 2, o.dstMac >>> 0);
    dv.setUint16(f + 6, Math.floor(o.srcMac / 2 ** 32));
    dv.setUint32(f + 8, o.srcMac >>> 0);
    dv.setUint16(f + 12, 0x0800);
    const ip = f + 14;
    dv.setUint8(ip, 0x45);
    dv.setUint16(ip + 2, 20 + l4Len);
    dv.setUint16(ip + 4, o.id & 0xffff);
    dv.setUint8(ip + 8, o.ttl);
    dv.setUint8(ip + 9, o.proto);
    dv.setUint32(ip + 12, o.src);
    dv.setUint32(ip + 16, o.dst);
    const l4 = ip + 20;
    if (o.proto === 1) {
      dv.setUint8(l4, o.icmpType);
      dv.setUint16(l4 + 4, o.sport);
      dv.setUint16(l4 + 6, o.seq & 0xffff);
    } else {
      dv.setUint16(l4, o.sport);
      dv.setUint16(l4 + 2, o.dport);
      dv.setUint16(l4 + 4, 8 + payloadLen);
    }
    // Payload that differs per packet (like ping's timestamp), so copies are recognisable.
    dv.setUint32(l4 + 8, o.k >>> 0);
    dv.setUint32(l4 + 12, o.reply ? 0x52455020 : 0x52455120);
    this.at += 16 + len;
    this.packets++;
  }
  flush() {
    writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
  }
}

function emitRequest(w, k, t, side, flows) {
  const x = flowOf(k, flows);
  const inside = side === 'lan';
  w.frame(t, {
    k,
    proto: x.icmp ? 1 : 17,
    icmpType: 8,
    seq: x.seq,
    src: inside ? x.app : EIP,
    dst: x.remote,
    sport: inside ? x.sport : x.mapped,
    dport: 53,
    ttl: inside ? 64 : 63,
    id: (k * 3) & 0xffff,
    srcMac: inside ? APP_MAC : GW_WAN_MAC,
    dstMac: inside ? GW_LAN_MAC : UPSTREAM_MAC,
    reply: false,
  });
}

function emitReply(w, k, t, side, flows) {
  const x = flowOf(k, flows);
  const outside = side === 'wan';
  w.frame(t, {
    k,
    proto: x.icmp ? 1 : 17,
    icmpType: 0,
    seq: x.seq,
    src: x.remote,
    dst: outside ? EIP : x.app,
    sport: x.icmp ? (outside ? x.mapped : x.sport) : 53,
    dport: outside ? x.mapped : x.sport,
    ttl: outside ? 60 : 59,
    id: (k * 5 + 1) & 0xffff,
    srcMac: outside ? UPSTREAM_MAC : GW_LAN_MAC,
    dstMac: outside ? GW_WAN_MAC : APP_MAC,
    reply: true,
  });
}

/**
 * Write `dir`/lan0.pcap, wan0.pcap and the snapshot; about `packets` packets per capture, a tick (`tickUs`, 10 µs
 * unless given) between one request and the next, over `flows` flows (4,096 unless given; at most 1,000,000).
 * @param {string} dir @param {{packets: number, tickUs?: number, flows?: number}} o
 */
export function generateNatPair(dir, o) {
  const flows = o.flows ?? FLOWS;
  if (flows < 1 || flows > 1_000_000) throw new Error(`generateNatPair: ${flows} flows: 1 to 1,000,000`);
  mkdirSync(dir, { recursive: true });
  const lan = new Writer(join(dir, 'lan0.pcap'));
  const wan = new Writer(join(dir, 'wan0.pcap'));
  const steps = Math.ceil(o.packets / 2) + RETURN_TICKS;
  let lostCount = 0;
  for (let j = 0; j < steps; j++) {
    const t = j * (o.tickUs ?? TICK_US);
    // In time order on each interface: lan0 gets request j and the returned reply of j−23;
    // wan0 gets the copy of j−3 and the remote's reply to j−20.
    if (j < steps - RETURN_TICKS) {
      emitRequest(lan, j, t, 'lan', flows);
      if (lost(j)) lostCount++;
    }
    const c = j - COPY_TICKS;
    if (c >= 0 && c < steps - RETURN_TICKS && !lost(c)) emitRequest(wan, c, t, 'wan', flows);
    const r = j - REPLY_TICKS;
    if (r >= 0 && r < steps - RETURN_TICKS && !lost(r)) emitReply(wan, r, t, 'wan', flows);
    const b = j - RETURN_TICKS;
    if (b >= 0 && b < steps - RETURN_TICKS && !lost(b)) emitReply(lan, b, t, 'lan', flows);
  }
  lan.close();
  wan.close();
  writeFileSync(
    join(dir, 'iptables-save.txt'),
    [
      '# Generated by iptables-save v1.8.9 on Thu Nov 26 10:00:00 2026',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      `[${flows}:0] -A POSTROUTING -s 10.0.0.0/16 -o wan0 -j SNAT --to-source 203.0.113.9 --random-fully`,
      'COMMIT',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'sysctl.txt'), 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 0\n');
  writeFileSync(
    join(dir, 'ip-addr.txt'),
    [
      '2: lan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000',
      '    link/ether 02:aa:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
      '    inet 10.0.255.254/16 scope global lan0',
      '       valid_lft forever preferred_lft forever',
      '3: wan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000',
      '    link/ether 02:bb:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
      '    inet 203.0.113.9/24 scope global wan0',
      '       valid_lft forever preferred_lft forever',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'ip-route.txt'),
    'default via 203.0.113.1 dev wan0\n10.0.0.0/16 dev lan0 proto kernel scope link src 10.0.255.254\n203.0.113.0/24 dev wan0 proto kernel scope link src 203.0.113.9\n',
  );
  return { dir, lanPackets: lan.packets, wanPackets: wan.packets, lost: lostCount, flows };
}
