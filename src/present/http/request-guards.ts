import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** 127.0.0.0/8, ::1 and the name localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** The host name in a Host header (`name:port`, `[v6]:port`), lowercased, without the port. */
export function hostHeaderName(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.exec(header.trim());
  return m ? m[1]!.toLowerCase() : null;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * `Authorization: Bearer <token>` (RFC 6750). Compared as SHA-256 digests with timingSafeEqual, so neither the length
 * nor the content of the token leaks through response times.
 */
export function checkBearer(req: IncomingMessage, token: string): void {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(header);
  const challenge = { 'WWW-Authenticate': 'Bearer realm="natlens"' };
  if (!m) throw new HttpError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer …)', challenge);
  if (!timingSafeEqual(digest(m[1]!), digest(token))) throw new HttpError(401, 'unauthorized', 'wrong token', { 'WWW-Authenticate': 'Bearer realm="natlens", error="invalid_token"' });
}

/**
 * Applied only when no token is set. A service on loopback without a token trusts whoever can reach it — which, through the browser, includes any web
 * page the user opens. Two guards close that door:
 * - DNS rebinding: a page on evil.example whose name later resolves to 127.0.0.1 sends `Host: evil.example`; on a
 *   loopback bind only loopback Host names are served (421 otherwise).
 * - Cross-site requests: a form on another site may POST here without a CORS preflight; a request carrying an Origin
 *   that is not this service's own is refused (403). Same-origin fetches and non-browser clients pass.
 */
export function checkOrigin(req: IncomingMessage, loopbackBind: boolean): void {
  const host = hostHeaderName(req.headers.host);
  if (loopbackBind && (host === null || !isLoopbackHost(host))) {
    throw new HttpError(421, 'misdirected', 'this service answers to loopback host names only');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && req.method !== 'GET' && req.method !== 'HEAD') {
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      originHost = null;
    }
    if (originHost === null || originHost !== (req.headers.host ?? '').toLowerCase()) {
      throw new HttpError(403, 'cross-origin', 'cross-origin requests are refused');
    }
  }
}
