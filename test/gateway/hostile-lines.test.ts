/**
 * A snapshot file of one very long line, made of what each parser's patterns repeat, is read in about the time its
 * length takes — never quadratically or worse ("bad input ... never a hang"). Each of these took from seconds to
 * hours at this length before: the rule options' merging (an array copied per word), the counters of a rule line
 * (`\s+-c …` tried at every blank), a neighbour line's IPv6 address (`[…:]+:[…:]*` split at every colon), a tc
 * header's trailing dashes, a boot configuration's key pattern, a heading's wrappers. Found by trying every parser's
 * line forms with repeated pieces. Each is read in a process of its own, given 30 s: a pattern gone quadratic again
 * fails here rather than hanging the test run (a test's timeout cannot stop code that never yields).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-hostile-lines-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LENGTH = 600_000;

const CASES: [string, string][] = [
  ['-A FORWARD ', 'a '],
  ['-A FORWARD ', '\t'],
  ['*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING ', 'x '],
  ['', '::'],
  ['', '0:'],
  ['10.0.0.1 dev eth0 lladdr ', ' '],
  ['qdisc htb 1: root refcnt 2 ', ' '],
  ['qdisc htb 1: root refcnt 2 ', '-'],
  ['# see /etc/sysctl.d\n', 'a.'],
  ['# /etc/sysctl.d/a.conf\n', '::'],
  ['$ docker exec a ', 'docker exec a '],
  ['$ iptables-save\n', 'a:'],
];

describe('a snapshot file of one very long line', () => {
  it.each(CASES.map((c, i) => [...c, i] as const))('%j repeating %j: read, not hung', (prefix, unit, i) => {
    const f = join(tmp, `line-${i}.txt`);
    writeFileSync(f, `${prefix}${unit.repeat(Math.ceil(LENGTH / unit.length))}#\n`);
    const script = `const { loadSnapshot } = await import(${JSON.stringify(join(REPO, 'dist/gateway/load-snapshot.js'))}); process.stdout.write(String(loadSnapshot([${JSON.stringify(f)}], { explicit: false }).files.length));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, 'still reading after 30 s').toBeNull();
    expect(r.stdout).toBe('1');
  }, 40_000);
});
