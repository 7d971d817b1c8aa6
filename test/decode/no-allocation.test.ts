import { PerformanceObserver } from 'node:perf_hooks';
import { expect, it } from 'vitest';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { newDecodedPacket } from '../../src/model/packet.js';
import type { PacketFixture } from './fixtures/packets.js';
import * as fx from './fixtures/packets.js';
import { bytesOf } from './helpers.js';

/**
 * The per-packet path must leave no garbage (STYLE.md: hot loops use typed arrays and integer
 * addresses). Before the big-number reads were spelled out inline (see src/decode/bytes.ts), a
 * million Ethernet frames cost ~8 scavenges per MAC field alone; now there should be none. A couple
 * are tolerated for whatever the test runner itself does in this isolate.
 */
it('decodes a million mixed real frames without young-generation garbage collections', async () => {
  const frames = Object.values(fx)
    .filter((f): f is PacketFixture => typeof f === 'object')
    .map((f) => ({ link: f.linkType, data: bytesOf(f) }));
  const d = newDecodedPacket();
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const f = frames[i % frames.length]!;
      decodePacket(f.link, f.data, d);
    }
  };
  run(300_000); // let the optimiser settle on all paths first
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  run(1_000_000);
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  expect(gcs).toBeLessThanOrEqual(2);
}, 60_000);
