import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeFailure, stripServerPaths, uploadedFiles } from '../../../src/present/http/analysis-job.js';
import { escapeHtml } from '../../../src/present/escape-html.js';
import { InputError } from '../../../src/model/errors.js';
import { removeDir, tempDir } from './serve-helpers.js';

describe('analysis job helpers', () => {
  let dir: string;
  let input: string;
  beforeEach(async () => {
    dir = await tempDir('natlens-job-');
    input = path.join(dir, 'input');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("names the upload's files wherever they sit, depth first, as discovery reads them", async () => {
    for (const f of ['sysctl.txt', 'bundle/bundle/eth0.pcap', 'bundle/bundle/net1.pcap', 'other/x/y/z.pcap']) {
      await mkdir(path.dirname(path.join(input, f)), { recursive: true });
      await writeFile(path.join(input, f), 'x');
    }
    expect(uploadedFiles(input)).toEqual(['bundle/bundle/eth0.pcap', 'bundle/bundle/net1.pcap', 'other/x/y/z.pcap', 'sysctl.txt']);
    expect(uploadedFiles(path.join(dir, 'gone'))).toEqual([]);
  });

  it('makes server paths relative to the upload in rendered text, in its own encoding', () => {
    const a = {
      inputs: [{ path: `${input}/b/eth0.pcap` }],
      findings: [{ evidence: [{ kind: 'rule', file: `${input}/iptables-save.txt`, line: 3 }], detail: `see ${input}/sysctl.txt:4` }],
      warnings: [{ file: input, message: 'a folder' }],
    };
    const r = JSON.parse(stripServerPaths(JSON.stringify(a), input, (s) => JSON.stringify(s).slice(1, -1))) as typeof a;
    expect(r).toEqual({
      inputs: [{ path: 'b/eth0.pcap' }],
      findings: [{ evidence: [{ kind: 'rule', file: 'iptables-save.txt', line: 3 }], detail: 'see sysctl.txt:4' }],
      warnings: [{ file: '.', message: 'a folder' }],
    });
    // A data folder whose name needs escaping is found in its escaped form.
    const odd = path.join(dir, 'a&"b', 'input');
    expect(stripServerPaths(`<td>${escapeHtml(`${odd}/eth0.pcap`)}</td>`, odd, escapeHtml)).toBe('<td>eth0.pcap</td>');
    expect(stripServerPaths(JSON.stringify({ p: `${odd}/x` }), odd, (s) => JSON.stringify(s).slice(1, -1))).toBe('{"p":"x"}');
  });

  it('describes failures by the uploaded file, never by server path', () => {
    expect(describeFailure(new InputError('truncated', `${input}/eth0.pcap`, 'cut short', { offset: 24 }), input, ['eth0.pcap'])).toEqual({
      code: 'truncated',
      file: 'eth0.pcap',
      offset: 24,
      message: 'eth0.pcap (byte offset 24): cut short [truncated]',
    });
    expect(describeFailure(new InputError('parse', `${input}/b/iptables-save.txt`, 'what is this', { line: 7 }), input, ['b/iptables-save.txt'])).toMatchObject({
      file: 'b/iptables-save.txt',
      line: 7,
      message: 'b/iptables-save.txt:7: what is this [parse]',
    });
    expect(describeFailure(new InputError('no-captures', `${input} ${input}/b`, 'no capture among the inputs'), input, ['notes.txt', 'b/readme'])).toEqual({
      code: 'no-captures',
      file: null,
      message: 'the upload (notes.txt, b/readme): no capture among the inputs [no-captures]',
    });
    const io = Object.assign(new Error(`ENOENT: no such file, open '${input}/gone.pcap'`), { code: 'ENOENT', path: `${input}/gone.pcap` });
    expect(describeFailure(io, input)).toEqual({ code: 'io', file: 'gone.pcap', message: 'gone.pcap: cannot read (ENOENT) [io]' });
    const internal = describeFailure(new TypeError(`x of undefined in ${input}/a`), input);
    expect(internal.code).toBe('internal');
    expect(internal.message).not.toContain(dir);
  });
});
