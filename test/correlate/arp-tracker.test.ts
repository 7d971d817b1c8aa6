/**
 * The ARP tracker (src/correlate/arp-tracker.ts): who asked for which address, and whether anyone answered. A
 * capture is a little out of time order (dumpcap's interfaces, -i any's CPUs, a rotated file's first frame read
 * before the last frames of the file before it), so a reply may be read before the request it answers.
 */
import { describe, expect, it } from 'vitest';
import { newArpTracker, observeArp } from '../../src/correlate/arp-tracker.js';

const at = (frame: number, tsSec: number, tsNsec: number) => ({ file: 0, frame, tsSec, tsNsec });
const REQUEST = 1;
const REPLY = 2;
const GW = 0x64400922; // 100.64.9.34
const ASKER = 0x6440094d; // 100.64.9.77

describe('ARP tracker', () => {
  it('a reply answers the request before it', () => {
    const t = newArpTracker();
    observeArp(t, 1, REQUEST, ASKER, GW, at(37, 100, 620398846));
    observeArp(t, 1, REPLY, GW, ASKER, at(38, 100, 620408162), 0xd68556d79fa0);
    const q = t.questions.get(`1|${GW}`)!;
    expect([q.requests, q.replies, [...q.answered], q.replyFrame?.frame]).toEqual([1, 1, [ASKER], 38]);
  });

  it('a reply read before its request (stamped after it, or just before) still answers it', () => {
    for (const replyNs of [620408162, 620390000]) {
      const t = newArpTracker();
      observeArp(t, 1, REPLY, GW, ASKER, at(1, 100, replyNs), 0xd68556d79fa0);
      observeArp(t, 1, REQUEST, ASKER, GW, at(37, 100, 620398846));
      const q = t.questions.get(`1|${GW}`)!;
      expect([q.requests, q.replies, [...q.answered], q.replyFrame?.frame]).toEqual([1, 1, [ASKER], 1]);
    }
  });

  it('a reply long before a request, or on another interface, answers nothing', () => {
    const t = newArpTracker();
    observeArp(t, 1, REPLY, GW, ASKER, at(1, 100, 0), 0xd68556d79fa0);
    observeArp(t, 2, REPLY, GW, ASKER, at(2, 160, 0), 0xd68556d79fa0);
    observeArp(t, 1, REQUEST, ASKER, GW, at(3, 160, 0));
    const q = t.questions.get(`1|${GW}`)!;
    expect([q.requests, q.replies]).toEqual([1, 0]);
  });
});
