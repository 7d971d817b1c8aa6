import { describe, expect, test } from 'vitest';
import { claimSlot, dropOldest, firstInBucket, linkPending, newPacketRing, oldestPending, releaseSlot, Slot, SlotState, unlinkPending, type PacketRing } from '../../src/correlate/packet-ring.js';

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

/** Match slot `i`: out of its chain, and freed. */
function match(r: PacketRing, i: number): void {
  unlinkPending(r, i, SlotState.MATCHED);
  releaseSlot(r, i);
}

/** Expire every pending packet, oldest first; returns their times. */
function drain(r: PacketRing): number[] {
  const out: number[] = [];
  for (let i = oldestPending(r); i >= 0; i = oldestPending(r)) {
    out.push(r.f[i * Slot.STRIDE + Slot.T]!);
    dropOldest(r);
    unlinkPending(r, i, SlotState.FREE);
    releaseSlot(r, i);
  }
  return out;
}

describe('pending packets', () => {
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

  test('a matched slot is reused at once; its old arrival entry is skipped, the new packet expires in its own turn', () => {
    const r = newPacketRing(16);
    const a = add(r, 1, 10);
    add(r, 2, 20);
    match(r, a);
    const b = add(r, 3, 30);
    expect(b).toBe(a);
    expect(r.free).toBe(r.cap - 2);
    expect(drain(r)).toEqual([20, 30]);
    expect(r.pending).toBe(0);
    expect(r.count).toBe(0);
    expect(r.free).toBe(r.cap);
  });

  test('the pool holds only waiting packets: thousands matched one by one never grow it', () => {
    const r = newPacketRing(16);
    for (let t = 0; t < 10_000; t++) match(r, add(r, t, t));
    expect(r.cap).toBe(16);
    // Nor the arrival ring: with nothing pending its entries are all stale.
    expect(r.arrivalMask).toBe(15);
    expect(r.count).toBe(1);
    expect(r.pending).toBe(0);
    expect(drain(r)).toEqual([]);
  });

  test('growing keeps slots, arrival order, pending chains and kept rows', () => {
    const r = newPacketRing(16);
    expect(r.cap).toBe(16);
    const slots: number[] = [];
    for (let t = 0; t < 16; t++) slots.push(add(r, t % 3, t));
    // Some matched and freed, then reused by later packets.
    for (const k of [0, 4, 8, 12]) match(r, slots[k]!);
    for (let t = 16; t < 20; t++) add(r, t % 3, t);
    expect(r.free).toBe(0);
    r.kept[slots[5]!] = 77;
    const before = { c0: chain(r, 0), c1: chain(r, 1), c2: chain(r, 2), pending: r.pending };
    // One more: the pool doubles.
    const last = add(r, 99, 20);
    expect(r.cap).toBe(32);
    expect(last).toBeGreaterThanOrEqual(16);
    expect(chain(r, 0)).toEqual(before.c0);
    expect(chain(r, 1)).toEqual(before.c1);
    expect(chain(r, 2)).toEqual(before.c2);
    expect(chain(r, 99)).toEqual([20]);
    expect(r.pending).toBe(before.pending + 1);
    expect(r.kept[slots[5]!]).toBe(77);
    expect(r.kept[last]).toBe(-1);
    // Fingerprint 0 = t % 3 === 0, less the matched ones (0, 12); 18 came after the growth's reuse.
    expect(before.c0).toEqual([3, 6, 9, 15, 18]);
    // Expiry in arrival order, matched ones left out.
    expect(drain(r)).toEqual([1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20]);
  });

  test('the arrival ring grows past its first size and keeps its order', () => {
    const r = newPacketRing(16);
    const times: number[] = [];
    for (let t = 0; t < 100; t++) {
      const i = add(r, t, t);
      if (t % 2 === 0) match(r, i);
      else times.push(t);
    }
    expect(drain(r)).toEqual(times);
  });
});
