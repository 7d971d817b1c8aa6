import { statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { InputError, type InputWarning } from '../model/errors.js';
import { bundleFiles } from './bundle-files.js';
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
 * snapshot candidates, by content, never by name. A folder is read with its subfolders (bundle-files.ts); one
 * that holds several bundles side by side is refused (`severalBundles`).
 */
export function discoverInputs(paths: readonly string[]): DiscoveredInputs {
  if (!paths.length) throw new InputError('no-input', '', 'no input given: name a bundle folder or capture and snapshot files');
  const captures: string[] = [];
  const others: { path: string; explicit: boolean }[] = [];
  const warnings: InputWarning[] = [];
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
      const folder = discoverFolder(p);
      for (const w of folder.warnings) warnings.push(w);
      for (const c of folder.captures) captures.push(c);
      for (const o of folder.others) others.push({ path: o, explicit: false });
    } else if (st.isFile()) {
      if (isCapture(p, warnings)) captures.push(p);
      else others.push({ path: p, explicit: true });
    } else {
      throw new InputError('io', p, 'not a regular file or folder');
    }
  }
  return { captures, others, warnings };
}

/**
 * A bundle folder's files (bundle-files.ts: subfolders included), in order, and sorted into captures and the rest by
 * content; a folder that holds several bundles side by side is refused (`severalBundles`). Every command reads a
 * folder so, the snapshot-only ones (rules, trace) too.
 */
export function discoverFolder(dir: string): { files: string[]; captures: string[]; others: string[]; warnings: InputWarning[] } {
  const { files, warnings } = bundleFiles(dir);
  const captures: string[] = [];
  const others: string[] = [];
  for (const f of files) (isCapture(f, warnings) ? captures : others).push(f);
  const several = severalBundles(dir, captures, others);
  if (several.length > 1) {
    throw new InputError(
      'usage',
      dir,
      `this folder holds ${several.length} bundles side by side (${several.slice(0, 5).join(', ')}${several.length > 5 ? ', …' : ''}), each with captures and other files: name one at a time (${join(dir, several[0]!)}), or the files to read together`,
    );
  }
  return { files, captures, others, warnings };
}

/** Whether the file is a capture, by its first bytes (a gzip whose beginning does not decompress is said in `warnings`). */
function isCapture(path: string, warnings: InputWarning[]): boolean {
  const head = captureHead(path, 16);
  if (head.bytes.length >= 4 && sniffCaptureFormat(head.bytes) !== null) return true;
  if (head.broken) {
    warnings.push({
      code: 'unreadable-gzip',
      file: path,
      offset: 0,
      message: 'a gzip file whose beginning does not decompress (corrupt, or cut short before its first block): what it holds cannot be told; if it is a capture, compress it again',
    });
  }
  return false;
}

/**
 * The subfolders of `dir` that each hold a bundle of their own — captures and the state files a bundle has (two or
 * more other files) beneath them — where `dir` holds no capture itself, nor state files of its own: the output of a
 * lab or a collection of incidents (`gw-a/`, `gw-b/`), which read together would mix two gateways' packets. A bundle
 * split by kind (`captures/`, `state/`), or with a folder per interface (each capture with a note beside it) and its
 * state beside them, is one bundle.
 */
function severalBundles(dir: string, captures: readonly string[], others: readonly string[]): string[] {
  const top = (path: string): string | null => {
    const rel = relative(dir, path);
    const cut = rel.indexOf(sep);
    return cut < 0 ? null : rel.slice(0, cut);
  };
  const withCaptures = new Set<string>();
  for (const c of captures) {
    const t = top(c);
    if (t === null) return [];
    withCaptures.add(t);
  }
  if (withCaptures.size < 2) return [];
  const othersIn = new Map<string | null, number>();
  for (const o of others) {
    const t = top(o);
    othersIn.set(t, (othersIn.get(t) ?? 0) + 1);
  }
  if ((othersIn.get(null) ?? 0) >= 2) return [];
  return [...withCaptures].filter((t) => (othersIn.get(t) ?? 0) >= 2).sort();
}

