/**
 * `ip neigh` text and `ip -j neigh` JSON → neighbour entries.
 *
 *   10.0.4.11 dev eth0 lladdr f2:61:b4:cf:15:02 DELAY
 *   203.0.113.9 dev net1 FAILED
 *   fe80::1 dev eth0 lladdr 52:54:00:12:34:56 router STALE
 */
import { parseIpv4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { Neighbour } from '../model/host.js';
import { parseJsonArray, str, strs } from './json-lines.js';

/**
 * One neighbour line. `ip -s neigh` adds `used A/B/C probes N` (iproute2 prints no space before `probes`:
 * `used 1550/1550/1534probes 1 STALE`); older versions `ref N`.
 */
export const NEIGH_LINE_RE =
  /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-fA-F]*:[0-9a-fA-F:]*)\s+dev\s+\S+(?:\s+lladdr\s+\S+)?(?:\s+(?:router|proxy|extern_learn|offload))*(?:\s+used\s+[\d/]+(?:\s*probes\s+\d+)?|\s+(?:ref|probes)\s+\d+)*(?:\s+[A-Z_]+)+\s*$/;

export function parseIpNeigh(text: string, file: string): { neighbours: Neighbour[]; warnings: InputWarning[] } {
  if (text.trimStart().startsWith('[')) return parseIpNeighJson(text, file);
  const warnings: InputWarning[] = [];
  const neighbours: Neighbour[] = [];
  text.split('\n').forEach((raw, k) => {
    const lineNo = k + 1;
    const t = raw.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#')) return;
    const w = t.split(/\s+/);
    const devAt = w.indexOf('dev');
    if (devAt !== 1 || w[2] === undefined) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `not a neighbour entry: ${t.slice(0, 80)}` });
      return;
    }
    const address = w[0]!;
    const family = address.includes(':') ? 6 : 4;
    const v4 = family === 4 ? parseIpv4(address) : -1;
    if (family === 4 && v4 < 0) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `cannot read neighbour address "${address}"` });
      return;
    }
    const ll = w.indexOf('lladdr');
    // States are the upper-case words (NUD_* names as iproute2 prints them).
    const states = w.slice(3).filter((x) => /^[A-Z_]+$/.test(x));
    neighbours.push({
      family,
      address,
      v4,
      dev: w[2],
      lladdr: ll >= 0 ? (w[ll + 1]?.toLowerCase() ?? null) : null,
      states,
      source: { file, line: lineNo },
    });
  });
  return { neighbours, warnings };
}

function parseIpNeighJson(text: string, file: string): { neighbours: Neighbour[]; warnings: InputWarning[] } {
  const arr = parseJsonArray(text);
  if (!arr) return { neighbours: [], warnings: [{ code: 'parse', file, line: 1, message: 'not a JSON array (ip -j neigh)' }] };
  const warnings: InputWarning[] = [];
  const neighbours: Neighbour[] = [];
  arr.items.forEach((o, k) => {
    const line = arr.lines[k] ?? 1;
    const address = str(o.dst);
    const dev = str(o.dev);
    if (address === null || dev === null) {
      warnings.push({ code: 'parse', file, line, message: 'neighbour without "dst" or "dev"' });
      return;
    }
    const family = address.includes(':') ? 6 : 4;
    const v4 = family === 4 ? parseIpv4(address) : -1;
    if (family === 4 && v4 < 0) {
      warnings.push({ code: 'parse', file, line, message: `cannot read neighbour address "${address}"` });
      return;
    }
    neighbours.push({
      family,
      address,
      v4,
      dev,
      lladdr: str(o.lladdr)?.toLowerCase() ?? null,
      states: strs(o.state).map((s) => s.toUpperCase()),
      source: { file, line },
    });
  });
  return { neighbours, warnings };
}
