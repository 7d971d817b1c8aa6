// Timing helper shared by the bench sections: best of `runs` (the first run also warms the JIT and
// the page cache), reported as packets/s and MB/s of file read, by wall clock and by CPU time of the
// process (user + system): on a shared machine the CPU figure is the steadier one.

/**
 * @param {string} name
 * @param {number} fileBytes
 * @param {() => ({packets: number} | Promise<{packets: number}>)} fn
 * @param {(line: string) => void} log
 * @param {number} [runs]
 */
export async function measure(name, fileBytes, fn, log, runs = 3) {
  let best = Infinity;
  let bestCpu = Infinity;
  let packets = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await fn();
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    packets = r.packets;
    best = Math.min(best, s);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  }
  const packetsPerSec = packets / best;
  const mbPerSec = fileBytes / 1e6 / best;
  const packetsPerCpuSec = packets / bestCpu;
  log(
    `${name.padEnd(26)} ${Math.round(packetsPerSec).toLocaleString('en').padStart(12)} packets/s ${mbPerSec.toFixed(0).padStart(6)} MB/s` +
      `  (${best.toFixed(2)} s wall; ${Math.round(packetsPerCpuSec).toLocaleString('en')} packets per CPU-second)`,
  );
  return { packets, seconds: best, cpuSeconds: bestCpu, packetsPerSec, mbPerSec, packetsPerCpuSec };
}

/**
 * Several contenders on the same file, interleaved: each round runs every contender once, and each
 * keeps its best of `runs` rounds. On a shared machine the load changes from second to second;
 * measuring A three times and then B three times lets a burst of load land on one side only, while
 * interleaving exposes both to the same conditions. Logs and returns one result per contender, in order.
 * @param {{name: string, fn: () => ({packets: number} | Promise<{packets: number}>)}[]} contenders
 * @param {number} fileBytes
 * @param {(line: string) => void} log
 * @param {number} [runs]
 */
export async function measureInterleaved(contenders, fileBytes, log, runs = 5) {
  const state = contenders.map(() => ({ best: Infinity, bestCpu: Infinity, packets: 0 }));
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < contenders.length; k++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await contenders[k].fn();
      const s = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const st = state[k];
      st.packets = r.packets;
      st.best = Math.min(st.best, s);
      st.bestCpu = Math.min(st.bestCpu, (c.user + c.system) / 1e6);
    }
  }
  return contenders.map(({ name }, k) => {
    const { best, bestCpu, packets } = state[k];
    const packetsPerSec = packets / best;
    const mbPerSec = fileBytes / 1e6 / best;
    const packetsPerCpuSec = packets / bestCpu;
    log(
      `${name.padEnd(26)} ${Math.round(packetsPerSec).toLocaleString('en').padStart(12)} packets/s ${mbPerSec.toFixed(0).padStart(6)} MB/s` +
        `  (${best.toFixed(2)} s wall; ${Math.round(packetsPerCpuSec).toLocaleString('en')} packets per CPU-second)`,
    );
    return { packets, seconds: best, cpuSeconds: bestCpu, packetsPerSec, mbPerSec, packetsPerCpuSec };
  });
}
