// Timing helper shared by the bench sections: best of `runs` (the first run also warms the JIT and
// the page cache), reported as packets/s and MB/s of file read.

/**
 * @param {string} name
 * @param {number} fileBytes
 * @param {() => ({packets: number} | Promise<{packets: number}>)} fn
 * @param {(line: string) => void} log
 * @param {number} [runs]
 */
export async function measure(name, fileBytes, fn, log, runs = 2) {
  let best = Infinity;
  let packets = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await fn();
    const s = (performance.now() - t0) / 1000;
    packets = r.packets;
    best = Math.min(best, s);
  }
  const packetsPerSec = packets / best;
  const mbPerSec = fileBytes / 1e6 / best;
  log(`${name.padEnd(26)} ${Math.round(packetsPerSec).toLocaleString('en').padStart(12)} packets/s ${mbPerSec.toFixed(0).padStart(6)} MB/s  (${best.toFixed(2)} s for ${packets.toLocaleString('en')} packets)`);
  return { packets, seconds: best, packetsPerSec, mbPerSec };
}
