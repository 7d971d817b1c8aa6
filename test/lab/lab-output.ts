/**
 * Runs the netns lab (test/lab/lab.sh) once per vitest run and hands its output directory to every test
 * file that asks: the lab's own capture checks (lab.test.ts) and the analysis tests on its bundles.
 *
 * vitest runs test files in separate worker processes, so "once" is arranged through the file system: the
 * output directory is keyed by the lab script's hash and the vitest main process id, the first worker takes
 * a lock (mkdir is atomic) and runs the lab, the others wait for its `complete.json`. NATLENS_LAB_OUT names
 * a directory to use instead (reused when complete, e.g. to iterate on the analysis without re-running it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
export const LAB_SCRIPT = join(here, 'lab.sh');
export const SCENARIOS_FILE = join(here, 'scenarios.json');

const TOOLS = [
  'ip', 'tcpdump', 'dumpcap', 'tshark', 'socat', 'conntrack', 'iptables-legacy', 'iptables-legacy-save',
  'iptables-nft', 'iptables-nft-save', 'ping', 'timeout', 'ss', 'sysctl', 'ethtool', 'nft', 'ufw', 'firewalld', 'firewall-cmd', 'dbus-daemon',
];

/**
 * What keeps the lab from running here (empty when it can run): tools not on PATH, "root" when not root,
 * "netns" when network namespaces cannot be created (e.g. a container without CAP_SYS_ADMIN).
 */
export function labMissing(): string[] {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
  if (process.getuid?.() !== 0) missing.push('root');
  else if (!missing.includes('ip')) {
    const probe = `natlens-probe-${process.pid}`;
    if (spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' }).status !== 0) missing.push('netns');
    spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  }
  return missing;
}

/** The lab can run here: root, network namespaces, every tool present. */
export const LAB_AVAILABLE = labMissing().length === 0;

/** Every scenario lab.sh knows, in its order. */
export function labScenarioNames(): string[] {
  const r = spawnSync('bash', [LAB_SCRIPT, '--list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lab.sh --list failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((s) => s.length > 0);
}

/** The machine's temp dir: shared by every test file of a run (test/support/temp-root.ts gives each its own). */
function sharedTmp(): string {
  return process.env.NATLENS_SHARED_TMPDIR ?? tmpdir();
}

function defaultOutputDir(): string {
  const hash = createHash('sha256').update(readFileSync(LAB_SCRIPT)).digest('hex').slice(0, 12);
  // Under vitest's forks pool the workers' parent is the vitest main process: one lab run per test run.
  const runId = process.env.VITEST_POOL_ID !== undefined ? process.ppid : process.pid;
  return join(sharedTmp(), `natlens-lab-${hash}-${runId}`);
}

/**
 * Outputs of earlier test runs (their vitest process is gone) would pile up in the temp dir: remove them.
 * Only this module's own `natlens-lab-<hash>-<pid>` directories are touched.
 */
function removeFinishedRuns(current: string): void {
  for (const name of readdirSync(sharedTmp())) {
    const m = /^natlens-lab-[0-9a-f]{12}-(\d+)$/.exec(name);
    const path = join(sharedTmp(), name);
    if (!m || path === current || alive(Number(m[1])) || existsSync(`${path}.lock`)) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs lab.sh asynchronously (a worker blocked for minutes would stall vitest's reporting). */
function runLab(out: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [LAB_SCRIPT, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // SIGTERM lets lab.sh's trap remove its namespaces and stop its captures.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (status === 0) resolve();
      else reject(new Error(`lab.sh ${out} failed (status ${status}, signal ${signal}):\n${stderr}`));
    });
  });
}

/**
 * How long one lab run may take: 63 scenarios take about 8 minutes on the 2-core development machine; a slower
 * CI machine gets twice that, and a little more (raise it with the scenarios). A test file's hook that waits for the lab (`beforeAll(labOutput)`) gets
 * LAB_WAIT_MS, a little more, so that the lab's own timeout, which names the scenario it was at, fires first.
 */
export const LAB_RUN_MS = 900_000;
export const LAB_WAIT_MS = LAB_RUN_MS + 30_000;

/**
 * The directory holding one bundle per scenario (OUT/<scenario>/, OUT/<scenario>.log), running the lab
 * first if no complete run exists. Throws with the lab's stderr when it fails.
 */
export async function labOutput(timeoutMs = LAB_RUN_MS): Promise<string> {
  const out = process.env.NATLENS_LAB_OUT ?? defaultOutputDir();
  const complete = join(out, 'complete.json');
  const lock = `${out}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(complete)) return out;
    try {
      mkdirSync(lock);
    } catch {
      // Another worker runs the lab; wait for it unless it died holding the lock.
      const owner = Number(readFileSafe(join(lock, 'pid')));
      if (owner > 0 && !alive(owner)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lab run in ${out}`);
      await sleep(500);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      if (existsSync(complete)) return out;
      if (process.env.NATLENS_LAB_OUT === undefined) removeFinishedRuns(out);
      mkdirSync(out, { recursive: true });
      await runLab(out, timeoutMs);
      writeFileSync(complete, JSON.stringify({ scenarios: labScenarioNames() }) + '\n');
      return out;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * In a describe block: the lab's output folder, or one scenario's bundle in it (`scenario`), once the lab has run —
 * before the block's tests (the lab runs once for all test files). Read it in the tests: `dir()`.
 */
export function useLabOutput(scenario?: string): () => string {
  let dir = '';
  beforeAll(async () => {
    const out = await labOutput();
    dir = scenario === undefined ? out : join(out, scenario);
  }, LAB_WAIT_MS);
  return () => dir;
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A bundle's lab.json, as lab.sh writes it. */
export interface LabJson {
  scenario: string;
  check: string | null;
  /** The backend the gateway's rules were installed with (scenarios named *-nft: iptables-nft). */
  backend: 'iptables-legacy' | 'iptables-nft';
  snapshotBackend: 'iptables-legacy' | 'iptables-nft';
  plan: string;
  inside: string;
  outside: string;
  capture: 'pcap' | 'pcap-nano' | 'pcapng' | 'pcapng-multi' | 'any' | 'any-v1';
  addresses: Record<AddressRole, string>;
  ports: Record<PortRole, number>;
}

export type AddressRole =
  | 'gatewayInside' | 'app' | 'app2' | 'insideCidr' | 'eip' | 'eip2' | 'nexthop' | 'client' | 'remote' | 'remote2'
  | 'spoof' | 'ghostInside' | 'ghostOutside' | 'far' | 'behind';
export type PortRole = 'remoteTcp' | 'remoteUdp' | 'forwardTcp' | 'app2Tcp' | 'forwardUdp' | 'app2Udp' | 'bulkTcp' | 'bulkForwardTcp';

export function readLabJson(bundle: string): LabJson {
  return JSON.parse(readFileSync(join(bundle, 'lab.json'), 'utf8')) as LabJson;
}

/** One expected flow in scenarios.json: roles resolve through the bundle's lab.json. */
export interface ExpectedFlow {
  proto: 'icmp' | 'tcp' | 'udp';
  src: AddressRole;
  dst: AddressRole;
  dport?: PortRole;
  disposition: string;
}

export interface ScenarioExpectation {
  check: string | null;
  /** The first finding's confidence, where the lab makes it certain (the snapshot holds the proof). */
  confidence?: 'confirmed' | 'likely' | 'possible';
  /** Every flow that did not get through (not delivered, local or outside the captures) is among the first finding's. */
  firstExplainsAll?: boolean;
  plan: string;
  capture: LabJson['capture'];
  everyFlow?: string;
  flows: ExpectedFlow[];
  /** Warning codes the analysis must give. */
  warnings?: string[];
  /** Warning codes it must not give. */
  noWarnings?: string[];
  /** The interface (role) that could not be captured: it was set down, and libpcap cannot open it. */
  notCaptured?: 'inside' | 'outside';
  /** The interface (role) captured that carried nothing: its link has no carrier. */
  quiet?: 'inside' | 'outside';
}

export function readScenarios(): Record<string, ScenarioExpectation> {
  const doc = JSON.parse(readFileSync(SCENARIOS_FILE, 'utf8')) as { scenarios: Record<string, ScenarioExpectation> };
  return doc.scenarios;
}
