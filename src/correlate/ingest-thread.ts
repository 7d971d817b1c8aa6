import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { InputError, type InputErrorCode, type InputWarning } from '../model/errors.js';
import type { HostState } from '../model/host.js';
import type { CaptureWindow } from './capture-merge.js';
import type { CaptureLook } from './read-captures.js';
import { workerExecArgv } from '../ingest/worker-options.js';
import { Row, RowKind } from './packet-row.js';

/**
 * Reading and decoding the captures on a second thread while this one correlates (ingest-worker.ts does
 * the reading). Decoding is a third of the work per packet; on a machine with a second core it then costs
 * the analysis no time. The packets come back in the same order, as rows of numbers (packet-row.ts) in
 * a ring of shared memory; what is not a number (interface names, warnings, the captures' windows, an
 * error) comes over a message port, announced by a CONTROL row at its place in the stream, so that this
 * thread sees everything in the order the reader produced it, exactly as when it reads the files itself.
 */

/** Header slots (Int32Array over its own shared buffer). */
const enum Hdr {
  /** Rows published by the reader (a counter that wraps at 2^32; positions are taken modulo the ring). */
  WRITE = 0,
  /** Rows consumed here. */
  READ = 1,
  /** 1 once the reader has stopped, for whatever reason. */
  STOPPED = 2,
  /** Always 0: something to sleep on. */
  NAP = 3,
  /** 1 once the reading thread runs (its modules loaded). */
  STARTED = 4,
  /** 1 once its setup was posted: it may read. */
  SETUP = 5,
  SIZE = 8,
}

/** Ring capacity in rows (a power of two): 3 MB, a few milliseconds of packets. */
const RING_ROWS = 1 << 13;
/** The reader publishes its rows in batches of this many (a power of two, well below RING_ROWS). */
const PUBLISH_ROWS = 1 << 10;
/** Inputs smaller than this are read in this thread: starting a thread costs more than it saves. */
const MIN_BYTES = 4 << 20;

export interface IngestSetup {
  readonly interfaceNames: ReadonlyMap<number, string>;
  /**
   * The snapshot's host state: to place Linux cooked v1 packets (cooked-interface.ts) and to tell which
   * gateway interface a capture named otherwise holds (interface-by-mac.ts); null without a snapshot.
   */
  readonly host: HostState | null;
}

/** What the reading thread is given when it starts (structured-cloned), and the shared memory both use. */
export interface IngestWorkerData {
  readonly paths: readonly string[];
  readonly ring: SharedArrayBuffer;
  readonly header: SharedArrayBuffer;
  readonly progress: SharedArrayBuffer;
  readonly port: MessagePort;
  readonly ringRows: number;
}

/** What the reading thread posts, each announced by a CONTROL row at its place in the stream. */
export type IngestMessage =
  | { readonly type: 'iface'; readonly index: number; readonly name: string }
  | { readonly type: 'warning'; readonly warning: InputWarning }
  /** Each capture's clock shift (clock-skew.ts), before the first packet. */
  | { readonly type: 'clock'; readonly shifts: number[] }
  /** What the look at the captures' beginning found (read-captures.ts), before the first packet. */
  | { readonly type: 'look'; readonly look: CaptureLook }
  | { readonly type: 'end'; readonly windows: CaptureWindow[]; readonly aliases: [string, string][] }
  | { readonly type: 'error'; readonly error: SerializedError };

export interface SerializedError {
  readonly code: InputErrorCode | null;
  readonly file: string;
  readonly message: string;
  readonly offset?: number;
  readonly line?: number;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof InputError) return { code: e.code, file: e.file, message: e.message, offset: e.offset, line: e.line };
  return { code: null, file: '', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

function reviveError(s: SerializedError): Error {
  if (s.code !== null) return new InputError(s.code, s.file, s.message, { offset: s.offset, line: s.line });
  return new Error(`reading thread: ${s.message}`);
}

/**
 * The reading thread's module, compiled beside this one in dist/ (from the TypeScript sources, as in tests,
 * there is none). The build also bundles it into one file: a new thread loads one module in ~10 ms instead
 * of its 47 modules in ~60 ms, time the correlating thread spends waiting for its first packet.
 */
function workerUrl(): URL | null {
  for (const name of ['./ingest-worker.bundle.js', './ingest-worker.js']) {
    const url = new URL(name, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return null;
}

/**
 * Whether to read on a second thread: NATLENS_READER_THREAD=0 never, =1 always (but standard input), and
 * then a thread that cannot start is an error rather than a quiet fallback; unset, for inputs of a few MB.
 */
function readerThreadWanted(paths: readonly string[], bytes: number): boolean {
  if (paths.includes('-')) return false;
  const env = process.env.NATLENS_READER_THREAD;
  if (env === '0') return false;
  if (env === '1') return true;
  return bytes >= MIN_BYTES;
}

function required(): boolean {
  return process.env.NATLENS_READER_THREAD === '1';
}

function unavailable(why: string): null {
  if (required()) throw new Error(`NATLENS_READER_THREAD=1, but ${why}`);
  return null;
}

export interface IngestHandlers {
  /** One packet as a row (packet-row.ts; `f` at `at`, valid during the call), captured on `iface`. */
  row(f: Float64Array, at: number, iface: string): void;
  onWarning(w: InputWarning): void;
  /** Each capture's clock shift (ns to add to its timestamps), before the first row. */
  onClockShifts?(shifts: readonly number[]): void;
  /** What the look at the captures' beginning found, before the first row. */
  onLook?(look: CaptureLook): void;
  progress?(packets: number, bytesRead: number): void;
}

export interface IngestResult {
  readonly windows: CaptureWindow[];
  /** Captured names taken for gateway interfaces by their MAC (interface-by-mac.ts). */
  readonly aliases: Map<string, string>;
  /** Per capture, ns added to its timestamps to match its packets (clock-skew.ts). */
  readonly clockShiftNs: number[];
}

/**
 * A reading thread for a set of captures, started as early as the captures are known (it loads its
 * modules while this thread loads the snapshot), then given the snapshot and read (`read`). It also works
 * out which gateway interface each capture holds (interface-by-mac.ts) and hashes the files it reads.
 */
export class ReaderThread {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #ring: SharedArrayBuffer;
  readonly #header: SharedArrayBuffer;
  readonly #progress: SharedArrayBuffer;
  #used = false;

  private constructor(worker: Worker, port: MessagePort, ring: SharedArrayBuffer, header: SharedArrayBuffer, progress: SharedArrayBuffer) {
    this.#worker = worker;
    this.#port = port;
    this.#ring = ring;
    this.#header = header;
    this.#progress = progress;
  }

  /**
   * Start a reading thread for `paths` (`bytes` in all), or null when none is used (standard input, small
   * inputs, no compiled worker, one that could not start): read them in this thread then.
   */
  static start(paths: readonly string[], bytes: number): ReaderThread | null {
    if (!readerThreadWanted(paths, bytes)) return null;
    const url = workerUrl();
    if (!url) return unavailable('no compiled reading thread (dist/correlate/ingest-worker.js) beside this module');
    const ring = new SharedArrayBuffer(RING_ROWS * Row.STRIDE * 8);
    const header = new SharedArrayBuffer(Hdr.SIZE * 4);
    const progress = new SharedArrayBuffer(8);
    const { port1, port2 } = new MessageChannel();
    const data: IngestWorkerData = { paths: [...paths], ring, header, progress, port: port2, ringRows: RING_ROWS };
    try {
      const worker = new Worker(url, { workerData: data, transferList: [port2], stdout: false, stderr: false, execArgv: workerExecArgv() });
      return new ReaderThread(worker, port1, ring, header, progress);
    } catch (e) {
      port1.close();
      return unavailable(`the reading thread could not start: ${(e as Error).message}`);
    }
  }

  /**
   * Read the captures on the thread and hand each packet to `handlers.row` here, in time order, as
   * `mergeCaptures` would; warnings come through `handlers.onWarning` at their place in the stream, an
   * input error is thrown as it would have been here. Returns the captures' windows (each file's SHA-256
   * included) and the interface aliases; null when the thread did not start (read in this thread then).
   */
  read(setup: IngestSetup, handlers: IngestHandlers): IngestResult | null {
    if (this.#used) throw new Error('ReaderThread.read: a reading thread reads its captures once');
    this.#used = true;
    const h = new Int32Array(this.#header);
    // A thread that cannot start says so only to the event loop, which this one does not run while it
    // waits: give it a while to check in, else read here. Once it runs, it reports its own errors.
    if (!started(h)) return unavailable(`the reading thread did not start within ${START_MS / 1000} s`);
    this.#port.postMessage({ interfaceNames: new Map(setup.interfaceNames), host: forReading(setup.host) } satisfies IngestSetup);
    Atomics.store(h, Hdr.SETUP, 1);
    Atomics.notify(h, Hdr.SETUP);
    return consume(this.#ring, this.#header, this.#progress, this.#port, handlers);
  }

  stop(): void {
    this.#port.close();
    void this.#worker.terminate();
  }
}

/**
 * The host state the reading thread needs (interfaces, addresses, routes, rules of routing, neighbours, sysctls): not
 * the connection tracking table or the ipset sets, which a busy gateway holds by the hundred thousand and which would
 * only be copied to it.
 */
function forReading(host: HostState | null): HostState | null {
  if (!host) return null;
  const { ipsets: _sets, ...rest } = host;
  return { ...rest, conntrack: null, kernelMessages: [], qdiscs: [] };
}

/** How long a reading thread may take to start (load its modules) before the captures are read here. */
const START_MS = 10_000;

function started(h: Int32Array): boolean {
  const deadline = Date.now() + START_MS;
  while (Atomics.load(h, Hdr.STARTED) !== 1) {
    if (Date.now() > deadline) return false;
    Atomics.wait(h, Hdr.STARTED, 0, 20);
  }
  return true;
}

/** How long without a row or a message before the reading thread is taken for dead. */
const STALL_MS = 120_000;

function consume(
  ringBuffer: SharedArrayBuffer,
  headerBuffer: SharedArrayBuffer,
  progressBuffer: SharedArrayBuffer,
  port: MessagePort,
  handlers: IngestHandlers,
): IngestResult {
  const f = new Float64Array(ringBuffer);
  const h = new Int32Array(headerBuffer);
  const bytesRead = new Float64Array(progressBuffer);
  const mask = RING_ROWS - 1;
  const names: string[] = [];
  let read = 0;
  let packets = 0;
  let clockShiftNs: number[] = [];
  let idleSince = 0;
  for (;;) {
    const w = Atomics.load(h, Hdr.WRITE);
    if (w === read) {
      // Nothing new: let the reader go on, then sleep until it publishes (or stops).
      Atomics.store(h, Hdr.READ, read);
      Atomics.notify(h, Hdr.READ);
      if (Atomics.load(h, Hdr.STOPPED) === 1 && Atomics.load(h, Hdr.WRITE) === read) throw new Error('the reading thread stopped before the end of the captures');
      const now = Date.now();
      if (idleSince === 0) idleSince = now;
      else if (now - idleSince > STALL_MS) throw new Error('the reading thread stopped answering');
      Atomics.wait(h, Hdr.WRITE, w, 100);
      continue;
    }
    idleSince = 0;
    while (read !== w) {
      const at = (read & mask) * Row.STRIDE;
      if (f[at + Row.KIND] === RowKind.CONTROL) {
        const m = nextMessage(port, h);
        read = (read + 1) | 0;
        switch (m.type) {
          case 'iface':
            names[m.index] = m.name;
            break;
          case 'warning':
            handlers.onWarning(m.warning);
            break;
          case 'error':
            throw reviveError(m.error);
          case 'look':
            handlers.onLook?.(m.look);
            break;
          case 'clock':
            clockShiftNs = m.shifts;
            handlers.onClockShifts?.(m.shifts);
            break;
          case 'end':
            Atomics.store(h, Hdr.READ, read);
            return { windows: m.windows, aliases: new Map(m.aliases), clockShiftNs };
        }
        continue;
      }
      // The row is read in place: the reader overwrites it only after READ has moved past it.
      handlers.row(f, at, names[f[at + Row.IFACE]!]!);
      read = (read + 1) | 0;
      if ((read & 255) === 0) {
        Atomics.store(h, Hdr.READ, read);
        Atomics.notify(h, Hdr.READ);
      }
      packets++;
      if ((packets & 0xffff) === 0 && handlers.progress) handlers.progress(packets, bytesRead[0]!);
    }
  }
}

/** The message a CONTROL row announces (posted before the row was published; waited for briefly if in flight). */
function nextMessage(port: MessagePort, h: Int32Array): IngestMessage {
  const deadline = Date.now() + STALL_MS;
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (m) return m.message as IngestMessage;
    if (Date.now() > deadline) throw new Error('the reading thread announced a message that never came');
    Atomics.wait(h, Hdr.NAP, 0, 1);
  }
}

/** The reading thread's side of the ring (ingest-worker.ts). */
export class RingWriter {
  readonly #f: Float64Array;
  readonly #h: Int32Array;
  readonly #bytesRead: Float64Array;
  readonly #port: MessagePort;
  readonly #mask: number;
  readonly #rows: number;
  #written = 0;
  #published = 0;
  /** Rows known to be free (the reader may have freed more since). */
  #free = 0;

  constructor(data: IngestWorkerData) {
    this.#f = new Float64Array(data.ring);
    this.#h = new Int32Array(data.header);
    this.#bytesRead = new Float64Array(data.progress);
    this.#port = data.port;
    this.#rows = data.ringRows;
    this.#mask = data.ringRows - 1;
  }

  /** Offset of the next free row (waits while the ring is full); fill it, then `commit`. */
  claim(): number {
    // The reader's position is looked up (an atomic load, a cache line the other thread writes) only
    // when the rows known to be free run out, not for every packet.
    if (this.#free === 0) this.#waitForRoom();
    return (this.#written & this.#mask) * Row.STRIDE;
  }

  #waitForRoom(): void {
    const h = this.#h;
    for (;;) {
      const r = Atomics.load(h, Hdr.READ);
      this.#free = this.#rows - ((this.#written - r) | 0);
      if (this.#free > 0) return;
      this.publish();
      Atomics.wait(h, Hdr.READ, r, 100);
    }
  }

  get rows(): Float64Array {
    return this.#f;
  }

  commit(): void {
    this.#written = (this.#written + 1) | 0;
    this.#free--;
    // In batches: publishing wakes the other thread when it sleeps, a system call each time.
    if ((this.#written & (PUBLISH_ROWS - 1)) === 0) this.publish();
  }

  publish(): void {
    if (this.#published === this.#written) return;
    this.#published = this.#written;
    Atomics.store(this.#h, Hdr.WRITE, this.#written);
    Atomics.notify(this.#h, Hdr.WRITE);
  }

  /** Post `m` and mark its place in the stream. */
  control(m: IngestMessage): void {
    this.#port.postMessage(m);
    const at = this.claim();
    this.#f[at + Row.KIND] = RowKind.CONTROL;
    this.commit();
    this.publish();
  }

  /** The thread runs: tell the other one, which waits for this before it waits for rows. */
  running(): void {
    Atomics.store(this.#h, Hdr.STARTED, 1);
    Atomics.notify(this.#h, Hdr.STARTED);
  }

  /** The setup the other thread posts once it has loaded the snapshot (waits for it). */
  waitForSetup(): IngestSetup {
    const h = this.#h;
    for (;;) {
      if (Atomics.load(h, Hdr.SETUP) === 1) {
        const m = receiveMessageOnPort(this.#port);
        if (m) return m.message as IngestSetup;
        Atomics.wait(h, Hdr.NAP, 0, 1);
      } else {
        Atomics.wait(h, Hdr.SETUP, 0, 1000);
      }
    }
  }

  setBytesRead(n: number): void {
    this.#bytesRead[0] = n;
  }

  stopped(): void {
    this.publish();
    Atomics.store(this.#h, Hdr.STOPPED, 1);
    Atomics.notify(this.#h, Hdr.WRITE);
  }
}
