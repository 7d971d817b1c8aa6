import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';

/**
 * Extract an uploaded bundle tarball (.tar, .tar.gz) without trusting it. node-tar parses the archive (ustar, pax and
 * GNU long names, gzip detected by magic) and already refuses to write outside its target; on top of that every entry
 * passes `checkEntry` first and the first bad one rejects the whole archive:
 * - only regular files and directories: symlinks and hardlinks could point anywhere later writes or reads would
 *   follow, devices and FIFOs have no business in a capture bundle;
 * - relative paths only, no `..`, no empty or `.` components, no backslashes or NUL, bounded depth;
 * - at most `maxEntries` entries and `maxBytes` unpacked bytes, counted from the headers as they stream by, so a
 *   decompression bomb is stopped after at most that much output rather than filling the disk.
 * The caller extracts into a fresh folder and deletes it whole on rejection, so nothing is kept either.
 */

export interface TarLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxDepth: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = { maxEntries: 10_000, maxBytes: 2 * 1024 ** 3, maxDepth: 16 };

export type ArchiveErrorCode = 'unsafe-entry' | 'too-many-entries' | 'too-large' | 'bad-archive';

export class ArchiveError extends Error {
  readonly code: ArchiveErrorCode;
  /** The archive as the user named it. */
  readonly archive: string;
  /** The offending entry's path as written in the archive, when one is to blame. */
  readonly entry: string | null;

  constructor(code: ArchiveErrorCode, archive: string, entry: string | null, message: string) {
    super(message);
    this.name = 'ArchiveError';
    this.code = code;
    this.archive = archive;
    this.entry = entry;
  }
}

export interface ExtractedArchive {
  /** Regular files written, relative to the destination, in archive order. */
  readonly files: readonly string[];
  readonly bytes: number;
  /** Entries left out on purpose (macOS AppleDouble `._*` and `.DS_Store` companions). */
  readonly skipped: readonly string[];
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Why an entry may not be extracted, or null when it may. Pure, so it is tested on its own. */
export function checkEntry(entryPath: string, type: string, maxDepth: number): string | null {
  if (!FILE_TYPES.has(type) && type !== 'Directory') return `${type} entries are not allowed (only regular files and directories)`;
  if (entryPath.includes('\0')) return 'NUL in path';
  if (entryPath.includes('\\')) return 'backslash in path';
  if (entryPath.startsWith('/')) return 'absolute path';
  const parts = entryPath.split('/').filter((p, i, all) => !(p === '' && i === all.length - 1) && !(p === '.' && i === 0));
  if (parts.length === 0) return type === 'Directory' ? null : 'empty path';
  for (const p of parts) {
    if (p === '..') return '".." in path';
    if (p === '' || p === '.') return 'empty or "." path component';
  }
  if (parts.length > maxDepth) return `deeper than ${maxDepth} levels`;
  return null;
}

function isMacJunk(entryPath: string): boolean {
  const parts = entryPath.split('/');
  const base = parts.filter(Boolean).at(-1) ?? '';
  return parts.includes('__MACOSX') || base.startsWith('._') || base === '.DS_Store';
}

/**
 * Extract `archive` into `dest` (created if missing). `label` is the name the user gave the archive, used in errors.
 * node-tar's Parser reads the archive; the files are written here, one `wx` (O_CREAT|O_EXCL) stream per entry, so no
 * entry can replace or write through anything already there, and every write has ended when this returns — also on
 * rejection, so the caller can delete `dest` knowing nothing will reappear in it.
 */
export async function extractTarSafely(archive: string, dest: string, label: string, limits: TarLimits = DEFAULT_TAR_LIMITS): Promise<ExtractedArchive> {
  const root = path.resolve(dest);
  await mkdir(root, { recursive: true });
  const files: string[] = [];
  const skipped: string[] = [];
  const writes: Promise<void>[] = [];
  const open = new Set<WriteStream>();
  let entries = 0;
  let bytes = 0;
  let rejection: ArchiveError | null = null;
  const source = createReadStream(archive);

  const parser = new Parser({
    strict: true,
    filter: (p: string, entry: unknown) => {
      if (rejection) return false;
      const e = entry as ReadEntry;
      entries += 1;
      if (entries > limits.maxEntries) return reject(new ArchiveError('too-many-entries', label, p, `${label}: more than ${limits.maxEntries} entries`));
      const why = checkEntry(p, e.type, limits.maxDepth);
      if (why !== null) return reject(new ArchiveError('unsafe-entry', label, p, `${label}: entry ${JSON.stringify(p)} refused: ${why}`));
      if (!FILE_TYPES.has(e.type)) return true;
      bytes += e.size ?? 0;
      if (bytes > limits.maxBytes) return reject(new ArchiveError('too-large', label, p, `${label}: unpacks to more than ${limits.maxBytes} bytes`));
      if (isMacJunk(p)) {
        skipped.push(p);
        return false;
      }
      return true;
    },
    onReadEntry: (entry: ReadEntry) => {
      if (rejection) {
        entry.resume();
        return;
      }
      const rel = entry.path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      const target = path.resolve(root, rel);
      // Defence in depth: checkEntry already refused anything that could leave the folder.
      if (target !== root && !target.startsWith(root + path.sep)) {
        reject(new ArchiveError('unsafe-entry', label, entry.path, `${label}: entry ${JSON.stringify(entry.path)} resolves outside the bundle folder`));
        entry.resume();
        return;
      }
      if (entry.type === 'Directory') {
        mkdirSync(target, { recursive: true, mode: 0o755 });
        entry.resume();
        return;
      }
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      // Modes from a stranger's archive are not wanted (setuid bits, or 000 making the file unreadable).
      const out = createWriteStream(target, { flags: 'wx', mode: 0o644 });
      open.add(out);
      files.push(rel);
      writes.push(
        new Promise<void>((resolve) => {
          out.on('close', () => {
            open.delete(out);
            resolve();
          });
          out.on('error', (err: NodeJS.ErrnoException) => {
            const why = err.code === 'EEXIST' ? 'the same path twice' : err.message;
            reject(new ArchiveError(err.code === 'EEXIST' ? 'unsafe-entry' : 'bad-archive', label, entry.path, `${label}: entry ${JSON.stringify(entry.path)}: ${why}`));
          });
        }),
      );
      entry.pipe(out);
    },
  });

  function reject(err: ArchiveError): false {
    if (!rejection) {
      rejection = err;
      // Stop reading now: a bomb must not be decompressed to its end just to be skipped.
      parser.abort(err);
      source.destroy();
      for (const o of open) o.destroy();
    }
    return false;
  }

  try {
    await pipeline(source, parser);
  } catch (e) {
    if (!rejection) {
      const msg = e instanceof Error ? e.message : String(e);
      reject(new ArchiveError('bad-archive', label, null, `${label}: not a readable tar archive (${msg})`));
    }
  }
  await Promise.all(writes);
  if (rejection) throw rejection;
  return { files, bytes, skipped };
}
