import type { IncomingMessage } from 'node:http';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { HttpError } from './http-error.js';
import { captureHead, isGzip } from '../../ingest/gzip-source.js';
import { sniffCaptureFormat } from '../../ingest/sniff-capture-format.js';
import type { AnalysisOptionsIn, UploadedFile } from './job-queue.js';
import { ArchiveError, extractTarSafely, type TarLimits } from './safe-tar.js';

export interface UploadLimits {
  /** All parts together, as received (before unpacking). */
  readonly maxBytes: number;
  readonly maxFiles: number;
  readonly tar: TarLimits;
}

export interface ReceivedUpload {
  readonly uploads: readonly UploadedFile[];
  readonly options: AnalysisOptionsIn;
}

/** How much of an oversize body is still read (and dropped) to answer 413 cleanly before the connection is cut. */
const DRAIN_BUDGET = 64 * 1024 * 1024;

/** Linux interface names: at most IFNAMSIZ-1 = 15 bytes; we accept the usual characters only. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * A name from the user's Content-Disposition made safe to use as one path component: last path segment only (old
 * browsers send full client paths), a conservative character set, no leading dot, bounded length.
 */
export function safeFileName(raw: string | undefined): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = last.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '').slice(0, 100);
  return cleaned === '' ? 'upload' : cleaned;
}

function uniqueIn(taken: Set<string>, name: string): string {
  if (!taken.has(name)) {
    taken.add(name);
    return name;
  }
  const dot = name.indexOf('.', 1);
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 2; ; i++) {
    const candidate = `${stem}-${i}${ext}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}

/**
 * What an uploaded file is: a tarball by name, or by content — gzip magic (RFC 1952: 1f 8b) that does not hold a
 * capture, or the ustar magic at offset 257 (POSIX.1-1988) —; a gzip-compressed capture (eth0.pcap.gz, kept as it
 * is); else a plain file.
 */
async function uploadKind(file: string, name: string): Promise<'archive' | 'compressed-capture' | 'plain'> {
  if (/\.(tar|tgz|tar\.gz)$/i.test(name)) return 'archive';
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(263);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (isGzip(head.subarray(0, bytesRead))) return sniffCaptureFormat(captureHead(file, 16).bytes) === null ? 'archive' : 'compressed-capture';
    return bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar' ? 'archive' : 'plain';
  } finally {
    await fh.close();
  }
}

function archiveFolderName(name: string): string {
  return name.replace(/\.(tar\.gz|tgz|tar|gz)$/i, '') || 'bundle';
}

/**
 * Stream a multipart/form-data request (RFC 7578) to `inputDir`: parts named `files` are files, text fields `inside`
 * and `outside` name interface roles. Backpressure flows from the disk to the socket, so memory stays flat whatever
 * the size. Past `maxBytes` → HttpError 413 (`drained` tells whether the rest of the body was read, so the
 * connection can be kept). Archives are then unpacked safely into a folder of their own and removed.
 * Throws HttpError; the caller deletes the staging folder on any error, so nothing is kept.
 */
export async function receiveUpload(req: IncomingMessage, inputDir: string, limits: UploadLimits): Promise<ReceivedUpload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new HttpError(415, 'unsupported-media-type', 'send multipart/form-data with one or more parts named "files"');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes + 64 * 1024) {
    throw new HttpError(413, 'too-large', `upload larger than the limit of ${limits.maxBytes} bytes`);
  }
  await mkdir(inputDir, { recursive: true });

  const taken = new Set<string>();
  const received: { name: string; file: string; bytes: number }[] = [];
  const options: { inside?: string; outside?: string } = {};

  await new Promise<void>((resolveOuter, rejectOuter) => {
    let settled = false;
    const resolve = (): void => {
      if (!settled) (settled = true), resolveOuter();
    };
    const reject = (e: unknown): void => {
      if (!settled) (settled = true), rejectOuter(e);
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: limits.maxFiles, fields: 10, fieldSize: 256, fieldNameSize: 64, parts: limits.maxFiles + 10, headerPairs: 16, fileSize: limits.maxBytes + 1 },
      });
    } catch (e) {
      reject(new HttpError(400, 'bad-multipart', `unreadable multipart request: ${(e as Error).message}`));
      return;
    }
    let failure: HttpError | null = null;
    let total = 0;
    const writes: Promise<void>[] = [];
    const fail = (e: HttpError): void => {
      if (!failure) failure = e;
    };

    bb.on('file', (field, stream, info) => {
      if (failure) {
        stream.resume();
        return;
      }
      if (field !== 'files') {
        fail(new HttpError(400, 'unexpected-part', `unexpected file part ${JSON.stringify(field.slice(0, 64))}: name file parts "files"`));
        stream.resume();
        return;
      }
      const name = uniqueIn(taken, safeFileName(info.filename));
      const file = path.join(inputDir, name);
      let bytes = 0;
      // Count every byte as it passes; past the limit stop writing (the rest is drained and discarded).
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        total += chunk.length;
        if (total > limits.maxBytes) fail(new HttpError(413, 'too-large', `upload larger than the limit of ${limits.maxBytes} bytes`));
        // Draining has a budget too: a client that keeps sending gets its connection closed.
        if (total > limits.maxBytes + DRAIN_BUDGET) {
          req.unpipe(bb);
          req.destroy();
          void Promise.allSettled(writes).then(() => reject(failure));
        }
      });
      // After a failure the rest is read and dropped, so the client gets its answer instead of a reset connection.
      const gate = new Transform({
        transform(chunk: Buffer, _enc, done) {
          done(null, failure ? undefined : chunk);
        },
      });
      const out = createWriteStream(file, { flags: 'wx' });
      writes.push(
        pipeline(stream, gate, out).then(
          () => {
            received.push({ name, file, bytes });
          },
          (e: unknown) => fail(new HttpError(500, 'io', `could not store ${name}: ${(e as Error).message}`)),
        ),
      );
    });
    bb.on('field', (field, value, info) => {
      if (failure) return;
      if (field !== 'inside' && field !== 'outside') {
        fail(new HttpError(400, 'unexpected-field', `unexpected form field ${JSON.stringify(field.slice(0, 64))}`));
        return;
      }
      if (info.valueTruncated) {
        fail(new HttpError(400, 'bad-field', `form field ${field} is too long`));
        return;
      }
      if (value === '') return;
      if (!IFNAME.test(value)) {
        fail(new HttpError(400, 'bad-field', `${field}: not an interface name: ${JSON.stringify(value.slice(0, 32))}`));
        return;
      }
      options[field] = value;
    });
    bb.on('filesLimit', () => fail(new HttpError(413, 'too-many-files', `more than ${limits.maxFiles} files in one upload`)));
    bb.on('partsLimit', () => fail(new HttpError(413, 'too-many-parts', 'too many parts in one upload')));
    bb.on('fieldsLimit', () => fail(new HttpError(400, 'too-many-fields', 'too many form fields')));
    bb.on('error', (e: unknown) => {
      fail(new HttpError(400, 'bad-multipart', `unreadable multipart request: ${(e as Error).message}`));
      req.unpipe(bb);
      req.resume();
      void Promise.allSettled(writes).then(() => reject(failure));
    });
    bb.on('close', () => {
      void Promise.allSettled(writes).then(() => (failure ? reject(failure) : resolve()));
    });
    req.on('aborted', () => fail(new HttpError(400, 'aborted', 'the client went away during the upload')));
    req.on('close', () => {
      // A connection closed mid-body never lets busboy finish: settle here so the staging folder is removed.
      if (!req.complete) void Promise.allSettled(writes).then(() => reject(failure ?? new HttpError(400, 'aborted', 'the client went away during the upload')));
    });
    req.pipe(bb);
  });

  if (received.length === 0) throw new HttpError(400, 'no-files', 'no files: send one or more parts named "files"');

  const uploads: UploadedFile[] = [];
  // `received` fills in the order writes finish, which varies: sort by name so the record is deterministic.
  received.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const r of received) {
    const kind = await uploadKind(r.file, r.name);
    if (kind === 'archive') {
      const folder = uniqueIn(taken, archiveFolderName(r.name));
      try {
        const x = await extractTarSafely(r.file, path.join(inputDir, folder), r.name, limits.tar);
        if (x.files.length === 0) throw new HttpError(422, 'empty-archive', `${r.name}: the archive holds no files`);
        uploads.push({ name: r.name, bytes: r.bytes, archive: { files: x.files.length, bytes: x.bytes } });
      } catch (e) {
        if (e instanceof ArchiveError) throw new HttpError(e.code === 'too-large' || e.code === 'too-many-entries' ? 413 : 422, e.code, e.message);
        throw e;
      }
      await rm(r.file, { force: true });
    } else {
      // A compressed capture is held to the archives' limit on unpacked bytes (a gzip bomb would otherwise
      // keep an analysis busy for hours): counted by inflating it once, never kept in memory.
      if (kind === 'compressed-capture') await checkGzipSize(r.file, r.name, limits.tar.maxBytes);
      uploads.push({ name: r.name, bytes: r.bytes, archive: null });
    }
  }
  return { uploads, options };
}

/** HttpError 413 when gzip `file` inflates to more than `maxBytes`. */
async function checkGzipSize(file: string, name: string, maxBytes: number): Promise<void> {
  let bytes = 0;
  const count = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(bytes > maxBytes ? new HttpError(413, 'too-large', `${name}: unpacks to more than ${maxBytes} bytes`) : null);
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), count);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    // A damaged stream is the analysis's to report (where it breaks, with what came before it).
  }
}
