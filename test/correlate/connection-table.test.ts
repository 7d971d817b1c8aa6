import { describe, expect, test } from 'vitest';
import { ConnField, findConnection, insertFound, newConnectionTable, rootOf, unionConnections } from '../../src/correlate/connection-table.js';
import { Proto } from '../../src/model/packet.js';

describe('connection table', () => {
  test('both directions of a TCP/UDP connection share one id; interface, protocol and ports keep connections apart', () => {
    const t = newConnectionTable(4);
    const a = 0x0a000001;
    const b = 0xc6336401;
    expect(findConnection(t, 0, Proto.UDP, a, b, 1000, 53)).toBe(-1);
    insertFound(t, 0, a, b, 1000, 53);
    expect(findConnection(t, 0, Proto.UDP, a, b, 1000, 53)).toBe(0);
    expect(findConnection(t, 0, Proto.UDP, b, a, 53, 1000)).toBe(0);
    expect(findConnection(t, 1, Proto.UDP, a, b, 1000, 53)).toBe(-1);
    expect(findConnection(t, 0, Proto.TCP, a, b, 1000, 53)).toBe(-1);
    expect(findConnection(t, 0, Proto.UDP, a, b, 53, 1000)).toBe(-1);
    expect(findConnection(t, 0, Proto.UDP, a, b, 1000, 54)).toBe(-1);
    // Same address both ends: ports order the endpoints.
    expect(findConnection(t, 0, Proto.UDP, a, a, 7, 5)).toBe(-1);
    insertFound(t, 1, a, a, 7, 5);
    expect(findConnection(t, 0, Proto.UDP, a, a, 5, 7)).toBe(1);
    expect(t.f[1 * ConnField.STRIDE + ConnField.SPORT]).toBe(7);
  });

  test('ICMP: addresses in either order and the echo id; the destination port is not part of the key', () => {
    const t = newConnectionTable(4);
    expect(findConnection(t, 0, Proto.ICMP, 5, 9, 77, 0)).toBe(-1);
    insertFound(t, 0, 5, 9, 77, 0);
    expect(findConnection(t, 0, Proto.ICMP, 9, 5, 77, 0)).toBe(0);
    expect(findConnection(t, 0, Proto.ICMP, 9, 5, 77, 1234)).toBe(0);
    expect(findConnection(t, 0, Proto.ICMP, 9, 5, 78, 0)).toBe(-1);
  });

  test('grows past its initial capacity: every key still found, ids in insertion order', () => {
    const t = newConnectionTable(2);
    const n = 50_000;
    const tuple = (i: number): [number, number, number, number] => [(0x0a000000 + (i >>> 6)) >>> 0, 0xc6336401, 1024 + (i & 63), 443];
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const [s, d, sp, dp] = tuple(i);
      if (findConnection(t, i & 1, Proto.TCP, s, d, sp, dp) !== -1) wrong++;
      insertFound(t, i, s, d, sp, dp);
    }
    for (let i = 0; i < n; i++) {
      const [s, d, sp, dp] = tuple(i);
      if (findConnection(t, i & 1, Proto.TCP, d, s, dp, sp) !== i) wrong++;
      if (findConnection(t, 1 - (i & 1), Proto.TCP, s, d, sp, dp) !== -1) wrong++;
    }
    expect(wrong).toBe(0);
    expect(t.count).toBe(n);
    expect(t.slots.length).toBeGreaterThanOrEqual(2 * n);
  });

  test('insertFound refuses an id without a failed lookup before it', () => {
    const t = newConnectionTable(4);
    expect(() => insertFound(t, 0, 1, 2, 3, 4)).toThrow();
  });

  test('union-find: the lowest id is the root of a flow', () => {
    const t = newConnectionTable(4);
    for (let i = 0; i < 6; i++) {
      findConnection(t, 0, Proto.UDP, i, 100, 1, 2);
      insertFound(t, i, i, 100, 1, 2);
    }
    unionConnections(t, 4, 5);
    unionConnections(t, 2, 5);
    unionConnections(t, 3, 1);
    expect([0, 1, 2, 3, 4, 5].map((i) => rootOf(t, i))).toEqual([0, 1, 2, 1, 2, 2]);
    unionConnections(t, 3, 4);
    expect([0, 1, 2, 3, 4, 5].map((i) => rootOf(t, i))).toEqual([0, 1, 1, 1, 1, 1]);
  });
});
