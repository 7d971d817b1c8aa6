import { describe, expect, test } from 'vitest';
import { claimSlot, firstInBucket, linkPending, newPacketRing, releaseHead, Slot, SlotState, unlinkPending, type PacketRing } from '../../src/correlate/packet-ring.js';

/** Store a pending packet with fingerprint `key` and time `t`; returns its slot. */
function add(r: PacketRing, key: number, t: number): number {
  const i = claimSlot(r);
  r.f[i * Slot.STRIDE + Slot.KEY] = key;
  r.f[i * Slot.STRIDE + Slot.T] = t;
  linkPending(r, i);
  return i;
}

/** Times of the pending packets whose fingerprint is `key`, in chain order. */
function chain(r: PacketRing, key: number): number[] {
  const out: number[] = [];
  for (let j = firstInBucket(r, key); j >= 0; j = r.f[j * Slot.STRIDE + Slot.NEXT]!) {
    if (r.f[j * Slot.STRIDE + Slot.KEY] === key) out.push(r.f[j * Slot.STRIDE + Slot.T]!);
  }
  return out;
}

/** Times in the ring from head to tail. */
function order(r: PacketRing): number[] {
  const out: number[] = [];
  for (let k = 0; k < r.count; k++) out.push(r.f[((r.head + k) & r.mask) * Slot.STRIDE + Slot.T]!);
  return out;
}

describe('packet ring', () => {
  test('chains keep arrival order per fingerprint; unlinking the middle, head and tail keeps the rest linked', () => {
    const r = newPacketRing(16);
    const a = add(r, 7, 1);
    add(r, 7 + 16, 2); // same bucket, other fingerprint
    const c = add(r, 7, 3);
    const d = add(r, 7, 4);
    add(r, 7, 5);
    expect(chain(r, 7)).toEqual([1, 3, 4, 5]);
    expect(chain(r, 23)).toEqual([2]);
    unlinkPending(r, c, SlotState.MATCHED);
    expect(chain(r, 7)).toEqual([1, 4, 5]);
    unlinkPending(r, a, SlotState.MATCHED);
    expect(chain(r, 7)).toEqual([4, 5]);
    const e = add(r, 7, 6);
    unlinkPending(r, e, SlotState.MATCHED);
    expect(chain(r, 7)).toEqual([4, 5]);
    unlinkPending(r, d, SlotState.MATCHED);
    expect(chain(r, 7)).toEqual([5]);
    expect(r.pending).toBe(2);
    expect(r.f[c * Slot.STRIDE + Slot.STATE]).toBe(SlotState.MATCHED);
  });

  test('growing a wrapped-around ring keeps arrival order, pending chains and objects', () => {
    const r = newPacketRing(16);
    expect(r.cap).toBe(16);
    // Fill, release the 10 oldest, fill again so that the tail wraps before the head.
    for (let t = 0; t < 16; t++) add(r, t % 3, t);
    for (let k = 0; k < 10; k++) {
      const i = r.head;
      if (r.f[i * Slot.STRIDE + Slot.STATE] === SlotState.PENDING) unlinkPending(r, i, SlotState.FREE);
      releaseHead(r);
    }
    for (let t = 16; t < 26; t++) add(r, t % 3, t);
    expect(r.count).toBe(16);
    expect(r.head).toBe(10);
    // Mark some matched: they stay in the ring but leave the chains.
    for (let k = 0; k < r.count; k += 4) unlinkPending(r, (r.head + k) & r.mask, SlotState.MATCHED);
    const obj = { marker: true } as never;
    r.obj[(r.head + 5) & r.mask] = obj;
    const before = { order: order(r), c0: chain(r, 0), c1: chain(r, 1), c2: chain(r, 2), pending: r.pending };
    // One more: the ring doubles.
    add(r, 99, 26);
    expect(r.cap).toBe(32);
    expect(r.head).toBe(0);
    expect(order(r)).toEqual([...before.order, 26]);
    expect(chain(r, 0)).toEqual(before.c0);
    expect(chain(r, 1)).toEqual(before.c1);
    expect(chain(r, 2)).toEqual(before.c2);
    expect(chain(r, 99)).toEqual([26]);
    expect(r.pending).toBe(before.pending + 1);
    expect(r.obj[5]).toBe(obj);
    // Times 10…25 are in the ring; fingerprint 0 = t % 3 === 0, less the matched ones (10, 14, 18, 22).
    expect(before.c0).toEqual([12, 15, 21, 24]);
  });
});
