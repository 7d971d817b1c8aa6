import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, type InputWarning } from '../model/errors.js';
import { captureHead } from './gzip-source.js';
import { sniffCaptureFormat } from './sniff-capture-format.js';

export interface DiscoveredInputs {
  /** Capture files (content-sniffed), in the order given / sorted within a folder. */
  readonly captures: readonly string[];
  /** Every other file: snapshot candidates. `explicit` = named by the user (garbage is an error, not ignored). */
  readonly others: readonly { readonly path: string; readonly explicit: boolean }[];
  readonly warnings: readonly InputWarning[];
}

/**
 * Turn the user's paths (bundle folders and/or files; '-' for a capture on stdin) into capture files and
 * snapshot candidates, by content, never by name. A folder is read one level deep; links and special
 * files in it are skipped with a warning (nothing outside the folder is read through a link).
 */
export function discoverInputs(paths: readonly string[]): DiscoveredInputs {
  if (!paths.length) throw new InputError('no-input', '', 'no input given: name a bundle folder or capture and snapshot files');
  const captures: string[] = [];
  const others: { path: string; explicit: boolean }[] = [];
  const warnings: InputWarning[] = [];
  const classify = (path: string, explicit: boolean): void => {
    const head = captureHead(path, 16);
    if (head.bytes.length >= 4 && sniffCaptureFormat(head.bytes) !== null) captures.push(path);
    else {
      if (head.broken) {
        warnings.push({
          code: 'unreadable-gzip',
          file: path,
          offset: 0,
          message: 'a gzip file whose beginning does not decompress (corrupt, or cut short before its first block): what it holds cannot be told; if it is a capture, compress it again',
        });
      }
      others.push({ path, explicit });
    }
  };
  for (const p of paths) {
    if (p === '-') {
      captures.push(p);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      throw new InputError('io', p, `cannot read: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
    }
    if (st.isDirectory()) {
      const entries = readdirSync(p).sort();
      for (const name of entries) {
        const full = join(p, name);
        const l = lstatSync(full);
        if (l.isSymbolicLink()) {
          warnings.push({ code: 'ignored-link', file: full, message: 'a symbolic link in the bundle folder is not followed' });
          continue;
        }
        if (l.isDirectory()) continue;
        if (!l.isFile()) {
          warnings.push({ code: 'ignored-special', file: full, message: 'not a regular file' });
          continue;
        }
        classify(full, false);
      }
    } else if (st.isFile()) {
      classify(p, true);
    } else {
      throw new InputError('io', p, 'not a regular file or folder');
    }
  }
  return { captures, others, warnings };
}
