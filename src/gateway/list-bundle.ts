/**
 * The files of a bundle folder: regular files, sorted by path, subfolders included. A symlink is followed only
 * when it resolves to a regular file inside the folder (a bundle must not make us read /etc/shadow).
 */
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { InputError } from '../model/errors.js';

const MAX_DEPTH = 4;
const MAX_FILES = 10_000;

export function listBundle(dir: string): string[] {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (e) {
    throw new InputError('io', dir, `cannot open the bundle folder: ${(e as Error).message}`);
  }
  const out: string[] = [];
  const inside = (p: string): boolean => {
    const rel = relative(root, p);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  const walk = (d: string, shown: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (out.length >= MAX_FILES) return;
      const p = join(d, name);
      const s = join(shown, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) {
        try {
          const real = realpathSync(p);
          if (inside(real) && statSync(real).isFile()) out.push(s);
        } catch {
          // dangling link: nothing to read
        }
      } else if (st.isFile()) out.push(s);
      else if (st.isDirectory() && depth < MAX_DEPTH) walk(p, s, depth + 1);
    }
  };
  walk(root, dir, 0);
  return out.sort();
}
