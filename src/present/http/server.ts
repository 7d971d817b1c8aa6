import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { InputError } from '../../model/errors.js';
import { VERSION } from '../../version.js';
import { isAnalysisId, newAnalysisId } from './analysis-id.js';
import { analysisPaths, stagingRoot } from './data-layout.js';
import { openFileJobQueue, type QueueRecovery } from './file-job-queue.js';
import { HttpError, isHttpError } from './http-error.js';
import type { AnalysisRecord, JobQueue } from './job-queue.js';
import type { JobRunner } from './job-runner.js';
import { checkBearer, checkOrigin, isLoopbackHost } from './request-guards.js';
import { DEFAULT_TAR_LIMITS, type TarLimits } from './safe-tar.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { threadJobRunner } from './thread-job-runner.js';
import { receiveUpload } from './upload.js';
import { renderWebPage } from './web-page.js';

export interface ServeOptions {
  readonly dataDir: string;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Required for a non-loopback bind. */
  readonly token: string | null;
  readonly maxUploadBytes: number;
  readonly workers: number;
  /** Defaults to a worker thread per analysis running the real analysis. */
  readonly runner?: JobRunner;
  readonly tarLimits?: TarLimits;
  readonly maxFiles?: number;
  /** Slowloris guards (node:http): time to receive the headers, and the whole request. */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How often node:http looks for connections past those timeouts (its default, 30 s, is coarse). */
  readonly connectionsCheckingIntervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  /** `http://host:port` as bound. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly queue: JobQueue;
  readonly scheduler: Scheduler;
  readonly recovery: QueueRecovery;
  /** Stop accepting, stop the workers (interrupted analyses run again on the next start), close the data folder. */
  close(): Promise<void>;
}

/** Per-analysis downloads: the file in the folder, its type, and how it is offered. */
const ARTIFACTS = {
  'report.html': { key: 'reportHtml', type: 'text/html; charset=utf-8', attachment: false },
  'report.md': { key: 'reportMd', type: 'text/markdown; charset=utf-8', attachment: false },
  'evidence.pcapng': { key: 'evidence', type: 'application/x-pcapng', attachment: true },
  'result.json': { key: 'result', type: 'application/json; charset=utf-8', attachment: false },
} as const;
type ArtifactName = keyof typeof ARTIFACTS;

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

/** Reports are built from untrusted captures: even escaped, they are served sandboxed with no script allowed. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, e: HttpError, extra: Record<string, string> = {}): void {
  sendJson(res, e.status, { error: { code: e.code, message: e.message } }, { ...e.headers, ...extra });
}

/** The public view of a record: links to what can be fetched; progress while running. */
function view(r: AnalysisRecord, scheduler: Scheduler): Record<string, unknown> {
  const base = `/api/analyses/${r.id}`;
  const out: Record<string, unknown> = {
    id: r.id,
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    attempts: r.attempts,
    uploads: r.uploads,
    options: r.options,
    links: { self: base },
  };
  if (r.status === 'running') out.progress = scheduler.progress(r.id);
  if (r.summary) out.summary = r.summary;
  if (r.error) out.error = r.error;
  if (r.status === 'done') {
    out.links = { self: base, reportHtml: `${base}/report.html`, reportMd: `${base}/report.md`, evidence: `${base}/evidence.pcapng`, result: `${base}/result.json` };
  }
  return out;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const loopback = isLoopbackHost(opts.host);
  if (!loopback && !opts.token) {
    throw new InputError('usage', '--host', `refusing to listen on ${opts.host} without a token: anyone who can reach it could upload and read analyses (set --token or NATLENS_TOKEN)`);
  }
  const log = opts.log ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const queue = await openFileJobQueue(dataDir);
  const runner = opts.runner ?? threadJobRunner();
  const scheduler = createScheduler({ queue, runner, dataDir, concurrency: opts.workers, log });
  const uploadLimits = { maxBytes: opts.maxUploadBytes, maxFiles: opts.maxFiles ?? 64, tar: opts.tarLimits ?? DEFAULT_TAR_LIMITS };

  async function handleUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = newAnalysisId();
    const stage = path.join(stagingRoot(dataDir), id);
    let received;
    try {
      received = await receiveUpload(req, path.join(stage, 'input'), uploadLimits);
    } catch (e) {
      // Nothing of a refused upload is kept.
      await rm(stage, { recursive: true, force: true });
      if (isHttpError(e)) {
        // If the body was not read to its end the connection cannot carry another request.
        sendError(res, e, req.complete ? {} : { Connection: 'close' });
        if (!req.complete) res.on('finish', () => req.destroy());
        return;
      }
      throw e;
    }
    const paths = analysisPaths(dataDir, id);
    // The folder appears in analyses/ whole (rename is atomic), then its record makes it an analysis.
    await rename(stage, paths.dir);
    const record = await queue.enqueue({ id, uploads: received.uploads, options: received.options });
    scheduler.pump();
    log(`analysis ${id}: queued (${received.uploads.map((u) => u.name).join(', ')})`);
    sendJson(res, 202, { id: record.id, status: record.status, links: { self: `/api/analyses/${id}` } }, { Location: `/api/analyses/${id}` });
  }

  async function sendAnalysis(req: IncomingMessage, res: ServerResponse, r: AnalysisRecord): Promise<void> {
    const record = view(r, scheduler);
    if (r.status !== 'done') {
      sendJson(res, 200, record);
      return;
    }
    const body = JSON.stringify(record);
    // The result can be tens of MB (thousands of flows with their packets): it is streamed from its file between the
    // record's fields and the closing brace, never parsed or held whole.
    const file = analysisPaths(dataDir, r.id).result;
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      throw new HttpError(500, 'result-missing', 'the analysis is done but its result file is missing');
    }
    const head = `${body.slice(0, -1)},"result":`;
    const tail = '}\n';
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(head) + size + Buffer.byteLength(tail), 'Cache-Control': 'no-store' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write(head);
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.on('end', () => res.end(tail));
    stream.pipe(res, { end: false });
  }

  async function sendArtifact(req: IncomingMessage, res: ServerResponse, r: AnalysisRecord, name: ArtifactName): Promise<void> {
    if (r.status !== 'done') throw new HttpError(409, 'not-done', `analysis ${r.id} is ${r.status}: ${name} exists once it is done`);
    const a = ARTIFACTS[name];
    const file = analysisPaths(dataDir, r.id)[a.key];
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      throw new HttpError(404, 'not-found', `${name} was not produced for analysis ${r.id}`);
    }
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Type': a.type, 'Content-Length': String(size), 'Cache-Control': 'no-store' };
    if (name === 'report.html') headers['Content-Security-Policy'] = REPORT_CSP;
    if (a.attachment) headers['Content-Disposition'] = `attachment; filename="natlens-${r.id}-${name}"`;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const rawPath = (req.url ?? '/').split('?')[0]!;
    // Without a token, loopback reachability is the only protection: guard it against the browser (see checkOrigin).
    // With one, a browser cannot forge the Authorization header, and a reverse proxy may rewrite Host and Origin.
    if (!opts.token) checkOrigin(req, loopback);

    if (rawPath === '/healthz') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', 'use GET', { Allow: 'GET, HEAD' });
      const counts = await queue.counts();
      sendJson(res, 200, { status: 'ok', version: VERSION, auth: opts.token ? 'bearer' : 'none', workers: Math.max(1, Math.floor(opts.workers)), running: scheduler.running(), analyses: counts });
      return;
    }
    if (rawPath === '/' || rawPath === '/index.html') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', 'use GET', { Allow: 'GET, HEAD' });
      const nonce = randomBytes(16).toString('base64');
      const html = renderWebPage({ nonce, version: VERSION, authRequired: opts.token !== null, maxUploadBytes: opts.maxUploadBytes });
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(html),
        'Cache-Control': 'no-store',
        'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
      });
      res.end(method === 'HEAD' ? undefined : html);
      return;
    }
    if (rawPath !== '/api' && !rawPath.startsWith('/api/')) throw new HttpError(404, 'not-found', 'no such page');
    if (opts.token) checkBearer(req, opts.token);

    const parts = rawPath.split('/').slice(1); // ['api', 'analyses', id?, artifact?]
    if (parts[1] !== 'analyses' || parts.length > 4) throw new HttpError(404, 'not-found', 'no such API route');
    if (parts.length === 2 || (parts.length === 3 && parts[2] === '')) {
      if (method === 'POST') return handleUpload(req, res);
      if (method === 'GET' || method === 'HEAD') {
        const list = await queue.list();
        sendJson(res, 200, { analyses: list.map((r) => view(r, scheduler)) });
        return;
      }
      throw new HttpError(405, 'method-not-allowed', 'use GET or POST', { Allow: 'GET, HEAD, POST' });
    }
    const id = parts[2]!;
    if (!isAnalysisId(id)) throw new HttpError(404, 'not-found', 'not an analysis id');
    const record = await queue.get(id);
    if (!record) throw new HttpError(404, 'not-found', `no analysis ${id}`);
    if (parts.length === 3) {
      if (method === 'GET' || method === 'HEAD') return sendAnalysis(req, res, record);
      if (method === 'DELETE') {
        await scheduler.cancel(id);
        await queue.remove(id);
        await rm(analysisPaths(dataDir, id).dir, { recursive: true, force: true });
        log(`analysis ${id}: deleted`);
        res.writeHead(204, SECURITY_HEADERS);
        res.end();
        return;
      }
      throw new HttpError(405, 'method-not-allowed', 'use GET or DELETE', { Allow: 'GET, HEAD, DELETE' });
    }
    const name = parts[3]!;
    if (!Object.hasOwn(ARTIFACTS, name)) throw new HttpError(404, 'not-found', `no such file: ${name.slice(0, 64)}`);
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', 'use GET', { Allow: 'GET, HEAD' });
    return sendArtifact(req, res, record, name as ArtifactName);
  }

  const server = createServer({ maxHeaderSize: 16 * 1024, headersTimeout: opts.headersTimeoutMs ?? 20_000, requestTimeout: opts.requestTimeoutMs ?? 30 * 60_000, connectionsCheckingInterval: opts.connectionsCheckingIntervalMs ?? 2_000 }, (req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (isHttpError(e)) {
        sendError(res, e);
      } else {
        log(`internal error on ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
      }
      // A request refused before its body was read leaves the body on the socket: close it after the answer.
      if (!req.complete) {
        res.shouldKeepAlive = false;
        res.on('finish', () => req.destroy());
      }
    });
  });
  server.maxHeadersCount = 64;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  scheduler.pump();

  return {
    url: `http://${hostForUrl}:${addr.port}`,
    port: addr.port,
    server,
    queue,
    scheduler,
    recovery: queue.recovery,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await scheduler.stop();
      // Give in-flight requests a moment, then cut them: an interrupted upload is swept from staging on the next start.
      const timer = setTimeout(() => server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(timer);
    },
  };
}
