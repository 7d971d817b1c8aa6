import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleFolders, describeFailure, relativiseAnalysis } from '../../../src/present/http/analysis-job.js';
import { InputError } from '../../../src/model/errors.js';
import type { Analysis } from '../../../src/model/analysis.js';
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

  it('hands the analysis every folder of the upload that holds files', async () => {
    for (const f of ['sysctl.txt', 'bundle/bundle/eth0.pcap', 'bundle/bundle/net1.pcap', 'other/x/y/z.pcap']) {
      await mkdir(path.dirname(path.join(input, f)), { recursive: true });
      await writeFile(path.join(input, f), 'x');
    }
    const { folders, files } = await bundleFolders(input);
    expect(folders.map((f) => path.relative(input, f))).toEqual(['', 'bundle/bundle', 'other/x/y']);
    expect(files).toEqual(['sysctl.txt', 'bundle/bundle/eth0.pcap', 'bundle/bundle/net1.pcap', 'other/x/y/z.pcap']);
  });

  it('makes server paths relative to the upload everywhere in the result', () => {
    const a = {
      inputs: [{ path: `${input}/b/eth0.pcap` }],
      findings: [{ evidence: [{ kind: 'rule', file: `${input}/iptables-save.txt`, line: 3 }], detail: `see ${input}/sysctl.txt:4` }],
      summary: { sentence: 'unchanged', flows: 0 },
    } as unknown as Analysis;
    const r = relativiseAnalysis(a, input) as unknown as typeof a & { findings: { evidence: { file: string }[]; detail: string }[] };
    expect(r.inputs[0]!.path).toBe('b/eth0.pcap');
    expect(r.findings[0]!.evidence[0]!.file).toBe('iptables-save.txt');
    expect(r.findings[0]!.detail).toBe('see sysctl.txt:4');
    expect(JSON.stringify(r)).not.toContain(dir);
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
