/** `?`: every key, built from the same table the dispatcher uses, and the filter syntax. */
import { KEY_BINDINGS } from './keymap.js';
import { seg, padEnd, wrapText, type Line } from './text-line.js';
import { staticBody, type ViewBody } from './view-body.js';

export function buildHelp(width: number): ViewBody {
  const lines: Line[] = [];
  lines.push([seg('Keys', { bold: true }), seg('   (Esc or ? closes this help)', { dim: true })]);
  const kw = Math.max(...KEY_BINDINGS.map((b) => b.keys.length)) + 2;
  for (const b of KEY_BINDINGS) {
    wrapText(b.what, Math.max(20, width - kw - 2)).forEach((t, i) => lines.push([seg('  '), seg(padEnd(i === 0 ? b.keys : '', kw), { bold: true, color: 'cyan' }), seg(t)]));
  }
  lines.push([]);
  lines.push([seg('Filter', { bold: true }), seg('   / then type; Enter keeps it, Esc restores the previous one', { dim: true })]);
  for (const [ex, what] of [
    ['tcp 8080', 'TCP flows with port 8080 on either side (original or translated)'],
    ['10.0.4.1', 'any address containing 10.0.4.1'],
    ['stopped', 'disposition stopped-at-gateway'],
    ['net1', 'flows entering or leaving by net1'],
    ['!delivered', 'everything not delivered'],
  ] as const) {
    lines.push([seg('  '), seg(padEnd(ex, kw), { color: 'green' }), seg(what)]);
  }
  lines.push([]);
  lines.push([seg('Flow detail', { bold: true })]);
  for (const t of wrapText(
    'Left lane: the interface the flow came in by; right lane: where it should leave. ─▶ joins a packet to its copy (with the time it took through the gateway); ✖ marks a copy that never appeared. Expected values come from the snapshot\'s rules, observed ones from the wire; red marks a difference.',
    width - 2,
  ))
    lines.push([seg('  ' + t)]);
  return staticBody([], lines);
}
