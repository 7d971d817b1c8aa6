/**
 * Large inputs are read and decoded on a second thread (src/correlate/ingest-thread.ts, ingest-worker.ts)
 * and stream back as rows of numbers. The analysis must not tell the difference: every real bundle gives
 * the same analysis, byte for byte, read on the thread (NATLENS_READER_THREAD=1) or in place (=0); an input
 * error is the same error; the packets, warnings and windows arrive as mergeCaptures hands them out.
 * The thread exists only as compiled JavaScript, so this test runs the built dist/ (`npm test` builds it).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { editedBundle, pcapShifted } from '../support/bundle-edit.js';
import { fieldSets, REPO } from '../support/field.js';
import { mergedEthernet } from '../support/cooked-capture.mjs';
import { cookedBundle } from '../support/cooked-bundle.js';
import { Row, writeRow } from '../../src/correlate/packet-row.js';
import { DIST, dist, runReadOn, sameOnThread } from '../support/thread-analysis.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-ingest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const saved = process.env.NATLENS_READER_THREAD;
afterEach(() => {
  if (saved === undefined) delete process.env.NATLENS_READER_THREAD;
  else process.env.NATLENS_READER_THREAD = saved;
});

const run = runReadOn;

/** Field set `dir` with its pcaps replaced by `add(pcaps)` (file name → content), as bundle `name`. */
function withCaptures(dir: string, name: string, add: (pcaps: string[]) => Record<string, Uint8Array>): string {
  const pcaps = readdirSync(dir).filter((f) => f.endsWith('.pcap'));
  return editedBundle(dir, join(tmp, name), Object.fromEntries(pcaps.map((f) => [f, null])), add(pcaps));
}

const bundles = [...fieldSets().map((s) => s.dir), ...readdirSync(join(REPO, 'samples')).map((d) => join(REPO, 'samples', d))].filter((d) => existsSync(d));

describe('reading on a second thread', () => {
  it.each(bundles)('%s: the same analysis read on the thread as in place', async (dir) => {
    const threaded = await run(dir, '1');
    expect(JSON.parse(threaded).error).toBeUndefined();
    expect(threaded).toBe(await run(dir, '0'));
  });

  it('a Linux cooked v1 capture (placed by the snapshot, in the reading thread) gives the same analysis', async () => {
    const healthy = fieldSets().find((s) => s.name === 'healthy');
    if (!healthy) return;
    const dir = cookedBundle(healthy.dir, join(tmp, 'any-v1'), 1);
    expect((await sameOnThread(dir)).summary.verdict).toBe('ok');
  });

  it('a capture of both interfaces merged into one (frames placed by MAC, spans per interface) gives the same analysis', async () => {
    const healthy = fieldSets().find((s) => s.name === 'ip-forward-off');
    if (!healthy) return;
    const dir = withCaptures(healthy.dir, 'merged', (pcaps) => ({ 'gateway.pcap': mergedEthernet(pcaps.map((f) => readFileSync(join(healthy.dir, f)))) }));
    const a = await sameOnThread(dir);
    expect(a.warnings.map((w) => w.code)).toContain('merged-capture');
    expect(a.findings[0]!.check).toBe('ip-forward-disabled');
  });

  it('gzip-compressed captures are read decompressed on the thread too', async () => {
    const healthy = fieldSets().find((s) => s.name === 'healthy');
    if (!healthy) return;
    const dir = withCaptures(healthy.dir, 'gz', (pcaps) => Object.fromEntries(pcaps.map((f) => [`${f}.gz`, gzipSync(readFileSync(join(healthy.dir, f)))])));
    expect((await sameOnThread(dir)).summary.verdict).toBe('ok');
  });

  it('captures whose clocks disagree are put on one clock on the thread too (clock-skew)', async () => {
    const healthy = fieldSets().find((s) => s.name === 'healthy');
    if (!healthy) return;
    const dir = editedBundle(healthy.dir, join(tmp, 'skewed'), { 'net1.pcap': (b) => pcapShifted(b, -2_500_000) });
    const a = await sameOnThread(dir);
    expect(a.warnings.map((w) => w.code)).toContain('clock-skew');
    expect(a.summary.verdict).toBe('ok');
  });

  it('captures named otherwise are told by their MAC on the thread too (interface-by-mac)', async () => {
    const healthy = fieldSets().find((s) => s.name === 'healthy');
    if (!healthy) return;
    let captured = 0;
    const dir = withCaptures(healthy.dir, 'renamed', (pcaps) => {
      captured = pcaps.length;
      return Object.fromEntries(pcaps.map((f, i) => [`side-${String.fromCharCode(97 + i)}.pcap`, readFileSync(join(healthy.dir, f))]));
    });
    const a = await sameOnThread(dir);
    expect(a.warnings.filter((w) => w.code === 'interface-by-mac')).toHaveLength(captured);
    expect(a.summary.verdict).toBe('ok');
  });

  it('a corrupt record stops the analysis with the same input error, naming the file and byte offset', async () => {
    const healthy = fieldSets().find((s) => s.name === 'healthy');
    if (!healthy) return;
    const pcap = readdirSync(healthy.dir).find((f) => f.endsWith('.pcap'))!;
    let offset = 0;
    const dir = editedBundle(healthy.dir, join(tmp, 'corrupt'), {
      [pcap]: (b) => {
        const out = Buffer.from(b);
        let at = 24;
        for (let n = 1; n < 50; n++) at += 16 + out.readUInt32LE(at + 8);
        out.writeUInt32LE(0x7fffffff, at + 8);
        offset = at;
        return out;
      },
    });
    const threaded = JSON.parse(await run(dir, '1'));
    expect(threaded).toMatchObject({ error: 'InputError', code: 'bad-header', file: join(dir, pcap), offset });
    expect(JSON.stringify(threaded)).toBe(await run(dir, '0'));
  });

  it('hands out every packet, warning and window as mergeCaptures does', async () => {
    const set = fieldSets().find((s) => s.name === 'healthy-pcapng') ?? fieldSets()[0];
    if (!set) return;
    const paths = readdirSync(set.dir)
      .filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng'))
      .map((f) => join(set.dir, f));
    // A capture cut short in its last record adds a warning at its place in the stream.
    const cut = join(tmp, `cut-${paths[0]!.split('/').pop()}`);
    const bytes = readFileSync(paths[0]!);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 7));
    const inputs = [cut, ...paths.slice(1)];
    const { ReaderThread } = await dist<typeof import('../../src/correlate/ingest-thread.js')>('correlate/ingest-thread.js');
    const { mergeCaptures } = await dist<typeof import('../../src/correlate/capture-merge.js')>('correlate/capture-merge.js');
    type Seen = { packets: string[]; warnings: string[] };
    // Both sides as rows: the thread's as handed over, the in-place packets written by writeRow. The interface
    // index inside a row is each side's own numbering, so rows are compared with it left out and the name beside.
    const rowText = (f: Float64Array, at: number, iface: string) => [...f.subarray(at, at + Row.STRIDE)].map((v, k) => (k === Row.IFACE ? iface : v)).join(' ');
    const onWarning = (seen: Seen) => (w: { code: string; offset?: number }) => seen.warnings.push(`${w.code}@${w.offset ?? ''}|${seen.packets.length}`);
    process.env.NATLENS_READER_THREAD = '1';
    const viaThread: Seen = { packets: [], warnings: [] };
    const reader = ReaderThread.start(inputs, 0);
    expect(reader, 'the reading thread started').not.toBeNull();
    let result;
    try {
      result = reader!.read({ interfaceNames: new Map(), host: null }, {
        row: (f, at, iface) => viaThread.packets.push(rowText(f, at, iface)),
        onWarning: onWarning(viaThread),
      });
    } finally {
      reader!.stop();
    }
    expect(result, 'the reading thread ran').not.toBeNull();
    const windows = result!.windows;
    const inPlace: Seen = { packets: [], warnings: [] };
    const scratch = new Float64Array(Row.STRIDE);
    const expected = mergeCaptures(inputs, { interfaceNames: new Map(), onWarning: onWarning(inPlace) as never }, {
      packet(rec, d, file, iface) {
        writeRow(scratch, 0, rec, d, file, 0);
        inPlace.packets.push(rowText(scratch, 0, iface));
      },
    });
    expect(viaThread.packets.length).toBeGreaterThan(100);
    expect(viaThread.packets).toEqual(inPlace.packets);
    expect(inPlace.warnings.length).toBeGreaterThan(0);
    expect(viaThread.warnings).toEqual(inPlace.warnings);
    // The thread hashes each file as it reads it; read in place, files are hashed elsewhere (analyze.ts).
    expect(windows.map((w) => ({ ...w, sha256: null }))).toEqual(expected);
    expect(windows.map((w) => w.sha256)).toEqual(inputs.map((p) => createHash('sha256').update(readFileSync(p)).digest('hex')));
  });

  it('starts under node --input-type=module -e and with V8 options (a worker refuses both; they must not be passed on)', () => {
    const set = fieldSets().find((s) => s.name === 'healthy');
    if (!set) return;
    const script = `const { analyze } = await import(${JSON.stringify(join(DIST, 'index.js'))}); const a = await analyze([${JSON.stringify(set.dir)}]); process.stdout.write(a.summary.verdict);`;
    // =1: a thread that cannot start is an error, not a quiet fallback to reading in place.
    for (const flags of [['--input-type=module'], ['--max-old-space-size=2048', '--input-type=module']]) {
      const out = execFileSync(process.execPath, [...flags, '-e', script], { env: { ...process.env, NATLENS_READER_THREAD: '1' }, encoding: 'utf8' });
      expect(out).toBe('ok');
    }
  });

  it('standard input and small inputs are read in place', async () => {
    const { ReaderThread } = await dist<typeof import('../../src/correlate/ingest-thread.js')>('correlate/ingest-thread.js');
    delete process.env.NATLENS_READER_THREAD;
    expect(ReaderThread.start(['-'], 1e9)).toBeNull();
    expect(ReaderThread.start([join(REPO, 'samples/healthy/vpc0.pcap')], 1000)).toBeNull();
  });
});
