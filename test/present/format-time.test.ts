import { describe, expect, it } from 'vitest';
import { ago, clockNs, dateTimeNs, durationNs, isoToNs, reportTime } from '../../src/present/format-time.js';

describe('format-time', () => {
  it('keeps packet nanoseconds exactly', () => {
    expect(clockNs('2026-11-26T09:58:42.116213000Z')).toBe('09:58:42.116213000');
    expect(clockNs('2026-11-26T09:58:42.1Z')).toBe('09:58:42.100000000');
    expect(dateTimeNs('2026-11-26T09:58:42.000000001Z')).toBe('2026-11-26 09:58:42.000000001 UTC');
    expect(isoToNs('2026-11-26T09:58:42.116213001Z')).toBe(1_795_687_122_116_213_001n);
    expect(isoToNs('2026-11-26T09:58:42.116213001Z') - isoToNs('2026-11-26T09:58:42.116213000Z')).toBe(1n);
  });

  it('picks a readable unit for durations', () => {
    expect(durationNs(512)).toBe('512 ns');
    expect(durationNs(41_000)).toBe('41 µs');
    expect(durationNs(82_000)).toBe('82 µs');
    expect(durationNs(1_200_000)).toBe('1.2 ms');
    expect(durationNs(4_560_000)).toBe('4.56 ms');
    expect(durationNs(14_560_036_000)).toBe('14.560 s');
    expect(durationNs(192e9)).toBe('3 min 12 s');
    expect(durationNs(-41_000)).toBe('−41 µs');
  });

  it('shows the report time in UTC with date-fns, whatever the local zone', () => {
    expect(reportTime(new Date('2026-11-26T12:04:59Z'))).toBe('2026-11-26 12:04 UTC');
    expect(ago('2026-11-26T09:58:56.523168000Z', new Date('2026-11-26T12:00:00Z'))).toBe('2 hours');
  });
});
