import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { form, removeDir, tempDir, upload, waitFinished } from '../present/http/serve-helpers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(repo, 'bin/natlens');
const field = path.resolve(repo, '../shared/field');

interface Proc {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string | undefined> = {}): Proc {
  const e = { ...process.env, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const child = spawn(process.execPath, [bin, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))), stdout: '', stderr: '' };
  child.stdout!.on('data', (c) => (p.stdout += c));
  child.stderr!.on('data', (c) => (p.stderr += c));
  return p;
}

async function listening(p: Proc): Promise<string> {
  const until = Date.now() + 15_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(p.stdout);
    if (m) return m[1]!;
    if (p.child.exitCode !== null || Date.now() > until) throw new Error(`natlens serve did not start: ${p.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const procs: Proc[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of dirs.splice(0)) await removeDir(d);
});

describe.skipIf(!existsSync(path.join(repo, 'dist/cli/main.js')))('natlens serve (CLI)', () => {
  it('serves on an ephemeral loopback port, analyses an upload, and stops cleanly on SIGTERM', async () => {
    const data = await tempDir();
    dirs.push(data);
    const p = run(['serve', '--port', '0', '--data', data, '--workers', '1'], { NATLENS_TOKEN: undefined });
    procs.push(p);
    const url = await listening(p);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(((await (await fetch(`${url}/healthz`)).json()) as { workers: number }).workers).toBe(1);
    const dir = path.join(field, 'forward-drop');
    if (existsSync(dir)) {
      const files = readdirSync(dir).map((name) => ({ name, data: readFileSync(path.join(dir, name)) }));
      const { body } = await upload(url, form(files));
      const done = await waitFinished(url, body.id);
      expect(done.status).toBe('done');
      expect(done.summary.topCheck).toBe('forward-chain-drop');
    }
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it('takes the token from NATLENS_TOKEN', async () => {
    const data = await tempDir();
    dirs.push(data);
    const p = run(['serve', '--port', '0', '--data', data], { NATLENS_TOKEN: 'from-env' });
    procs.push(p);
    const url = await listening(p);
    expect(p.stdout).toContain('token required');
    expect((await fetch(`${url}/api/analyses`)).status).toBe(401);
    expect((await fetch(`${url}/api/analyses`, { headers: { Authorization: 'Bearer from-env' } })).status).toBe(200);
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(0);
  });

  it('refuses a non-loopback bind without a token, and bad numbers, with exit 2', async () => {
    const data = await tempDir();
    dirs.push(data);
    const open = run(['serve', '--host', '0.0.0.0', '--port', '0', '--data', data], { NATLENS_TOKEN: undefined });
    expect(await open.exit).toBe(2);
    expect(open.stderr).toMatch(/without a token/);
    const bad = run(['serve', '--workers', 'many', '--data', data]);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr).toMatch(/not a whole number/);
  });
});
