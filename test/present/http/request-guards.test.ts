import { describe, expect, it } from 'vitest';
import { hostHeaderName, isLoopbackHost } from '../../../src/present/http/request-guards.js';
import { safeFileName } from '../../../src/present/http/upload.js';
import { isAnalysisId, newAnalysisId } from '../../../src/present/http/analysis-id.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', '128.0.0.1', 'localhost.evil.example', 'example.com', ''])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('hostHeaderName', () => {
  it.each([
    ['127.0.0.1:8080', '127.0.0.1'],
    ['LocalHost', 'localhost'],
    ['[::1]:80', '[::1]'],
    ['evil.example:8080', 'evil.example'],
  ])('%s → %s', (h, want) => {
    expect(hostHeaderName(h)).toBe(want);
  });
  it.each([undefined, '', 'a:b:c', '127.0.0.1:99999999', 'x y'])('%s → null', (h) => {
    expect(hostHeaderName(h)).toBeNull();
  });
});

describe('safeFileName', () => {
  it.each([
    ['eth0.pcap', 'eth0.pcap'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\captures\\net1.pcapng', 'net1.pcapng'],
    ['.hidden', 'hidden'],
    ['..', 'upload'],
    ['', 'upload'],
    [undefined, 'upload'],
    ['<script>alert(1)</script>.pcap', 'script_.pcap'],
    ['<img src=x onerror=alert(1)>.pcap', 'img_src_x_onerror_alert_1__.pcap'],
    ['a b\0c.txt', 'a_b_c.txt'],
  ])('%j → %j', (raw, want) => {
    expect(safeFileName(raw)).toBe(want);
  });
  it('bounds the length', () => {
    expect(safeFileName('x'.repeat(500))).toHaveLength(100);
  });
});

describe('analysis ids', () => {
  it('are 20 hex digits, fresh each time, and nothing else passes', () => {
    const a = newAnalysisId();
    expect(isAnalysisId(a)).toBe(true);
    expect(newAnalysisId()).not.toBe(a);
    for (const bad of ['', '..', '../../etc', a.toUpperCase(), `${a}0`, a.slice(1), `${a.slice(1)}/`, `${a.slice(0, 19)}g`]) {
      expect([bad, isAnalysisId(bad)]).toEqual([bad, false]);
    }
  });
});
