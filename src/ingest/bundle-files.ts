import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { InputError, type InputWarning } from '../model/errors.js';

/**
 * How deep a bundle's folders are read: a bundle folder as people pack it (`captures/`, `state/`), a tarball's
 * wrapping folder, a copy of /proc/sys (`sosreport-gw/proc/sys/net/ipv4/conf/eth0/rp_filter`, 7 levels).
 */
export const MAX_BUNDLE_DEPTH = 8;
/** More files than any bundle holds: a folder named by mistake (a home folder, /) is refused, not crawled. */
export const MAX_BUNDLE_FILES = 10_000;

export interface BundleListing {
  /** Regular files, depth first, each folder's entries sorted by name. */
  readonly files: string[];
  /** Links, hidden folders, special files and folders too deep that were not read, each said once. */
  readonly warnings: InputWarning[];
}

/**
 * The files of a bundle folder, subfolders included (every front end reads a folder so: the command line, the
 * terminal UI, the upload service's unpacked tarballs). A symbolic link is followed only to a regular file inside
 * the folder that is not listed anyway (a bundle must not make natlens read /etc/shadow, nor a file twice);
 * hidden folders (`.git`) are not read.
 */
export function bundleFiles(dir: string): BundleListing {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (e) {
    throw new InputError('io', dir, `cannot open the bundle folder: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  const found: { path: string; link: boolean }[] = [];
  const warnings: InputWarning[] = [];
  const walk = (real: string, shown: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(real).sort();
    } catch (e) {
      warnings.push({ code: 'ignored-folder', file: shown, message: `cannot read this folder: ${(e as Error).message.replace(/^[A-Z]+: /, '')}` });
      return;
    }
    for (const name of names) {
      const path = join(shown, name);
      let st;
      try {
        st = lstatSync(join(real, name));
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) found.push({ path, link: true });
      else if (st.isFile()) found.push({ path, link: false });
      else if (st.isDirectory()) {
        if (name.startsWith('.')) warnings.push({ code: 'ignored-folder', file: path, message: 'a hidden folder in the bundle is not read' });
        else if (depth >= MAX_BUNDLE_DEPTH) warnings.push({ code: 'ignored-folder', file: path, message: `more than ${MAX_BUNDLE_DEPTH} folders deep in the bundle: not read` });
        else walk(join(real, name), path, depth + 1);
      } else warnings.push({ code: 'ignored-special', file: path, message: 'not a regular file' });
      if (found.length > MAX_BUNDLE_FILES) {
        throw new InputError('usage', dir, `more than ${MAX_BUNDLE_FILES} files in this folder and its subfolders: no bundle holds so many — name the bundle's own folder`);
      }
    }
  };
  walk(root, dir, 0);
  const inside = (p: string): boolean => {
    const rel = relative(root, p);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  const listed = new Set<string>();
  for (const f of found) {
    if (f.link) continue;
    try {
      listed.add(realpathSync(f.path));
    } catch {
      // gone since it was listed: its reading will say so
    }
  }
  const files: string[] = [];
  for (const f of found) {
    if (!f.link) {
      files.push(f.path);
      continue;
    }
    let real: string | null = null;
    try {
      real = realpathSync(f.path);
    } catch {
      // dangling: nothing to read
    }
    const why =
      real === null ? 'a symbolic link to nothing' : !inside(real) ? 'a symbolic link out of the bundle folder is not followed' : !statSync(real).isFile() ? 'a symbolic link to a folder is not followed' : listed.has(real) ? null : '';
    if (why === '') {
      listed.add(real!);
      files.push(f.path);
    } else if (why !== null) warnings.push({ code: 'ignored-link', file: f.path, message: why });
  }
  return { files, warnings };
}
