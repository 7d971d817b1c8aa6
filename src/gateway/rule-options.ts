/**
 * The one option parser: iptables rule options (as iptables-save and `iptables -S` print them, tokenized)
 * → `Match[]` and a `Target` (src/model/ruleset.ts).
 *
 * What the simulator cannot model is never dropped: an unknown match module becomes a `{kind:'unknown'}` match
 * and an entry in `unsure` (the rule "may match"), an unknown target becomes `{kind:'unknown'}`; both give a
 * problem message that the caller turns into an `InputWarning` with the line. Nothing here throws.
 */
import { parseCidr4, parseIpv4 } from '../model/address.js';
import type { Counters } from '../model/source.js';
import type { AddrMatch, Match, NatRange, PortRange, Target } from '../model/ruleset.js';
import { isRateLimit } from '../model/ruleset.js';
import { icmpType, protoName, protoNumber } from './protocols.js';

export interface RuleOptions {
  readonly matches: readonly Match[];
  readonly target: Target;
  readonly unsure: readonly string[];
  /** From `-c PKTS BYTES` (`iptables -S -v`). */
  readonly counters: Counters | null;
  /** Human-readable problems, one per unmodelled or unreadable option. */
  readonly problems: readonly string[];
}

/** Targets we know by name but do not model: kept as `{kind:'unknown'}` so they never pass for a chain jump. */
const OTHER_TARGETS = new Set([
  'TCPMSS', 'DSCP', 'TOS', 'TTL', 'HL', 'ECN', 'SECMARK', 'CONNSECMARK', 'TPROXY', 'CLASSIFY', 'NETMAP', 'SET',
  'NFQUEUE', 'QUEUE', 'AUDIT', 'CHECKSUM', 'CLUSTERIP', 'IDLETIMER', 'LED', 'RATEEST', 'SYNPROXY', 'TEE',
  'ULOG', 'CONNTRACK', 'SNPT', 'DNPT', 'MIRROR', 'SAME', 'IPV4OPTSSTRIP', 'HMARK', 'BALANCE', 'TARPIT',
]);

/** Match modules whose options we read; others become `unknown`. */
const PORT_MODULES = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp']);

export function parseAddr(s: string, negate: boolean, family: 4 | 6): AddrMatch | null {
  if (family === 6 || s.includes(':')) return { cidr: null, v6: s, negate };
  const cidr = parseCidr4(s);
  return cidr ? { cidr, negate } : null;
}

/** `80`, `1000:2000`, `:1024`, `1024:` (iptables port range syntax); also `a-b` as the listing prints NAT ports. */
export function parsePortRange(s: string): PortRange | null {
  const m = /^(\d{0,5})(?:[:-](\d{0,5}))?$/.exec(s);
  if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return null;
  const lo = m[1] === '' ? 0 : Number(m[1]);
  const hi = m[2] === undefined ? lo : m[2] === '' ? 65535 : Number(m[2]);
  if (lo > 65535 || hi > 65535) return null;
  return lo <= hi ? { lo, hi } : { lo: hi, hi: lo };
}

/** `443`, `1000-2000`: a port or a range as ip rule and ipset write them (a dash, low to high); null otherwise. */
export function parsePortSpan(s: string): PortRange | null {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= hi && hi <= 65535 ? { lo, hi } : null;
}

export function parsePortList(s: string): PortRange[] | null {
  const out: PortRange[] = [];
  for (const part of s.split(',')) {
    const r = parsePortRange(part);
    if (!r) return null;
    out.push(r);
  }
  return out.length > 0 ? out : null;
}

/** `--to-destination`/`--to-source`/`to:` value: `[ip[-ip]][:port[-port]]`. IPv6 (`[::1]:80`) → null. */
export function parseNatRange(s: string): NatRange | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})?(?:-(\d{1,3}(?:\.\d{1,3}){3}))?(?::(\d{1,5})(?:-(\d{1,5}))?)?$/.exec(s);
  if (!m || s === '') return null;
  const lo = m[1] === undefined ? 0 : parseIpv4(m[1]);
  const hi = m[2] === undefined ? lo : parseIpv4(m[2]);
  if (lo < 0 || hi < 0 || (m[1] === undefined && m[2] !== undefined)) return null;
  const portLo = m[3] === undefined ? 0 : Number(m[3]);
  const portHi = m[4] === undefined ? portLo : Number(m[4]);
  if (portLo > 65535 || portHi > 65535) return null;
  return { addrLo: lo, addrHi: hi, portLo, portHi };
}

/** `0x1`, `0x1/0xff`, `5` → value/mask (mask 0xffffffff when absent). */
export function parseMark(s: string): { value: number; mask: number } | null {
  const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(s);
  if (!m) return null;
  const value = Number(m[1]);
  const mask = m[2] === undefined ? 0xffffffff : Number(m[2]);
  if (!Number.isFinite(value) || !Number.isFinite(mask) || value > 0xffffffff || mask > 0xffffffff) return null;
  return { value: value >>> 0, mask: mask >>> 0 };
}

function isOption(t: string | undefined): boolean {
  return t !== undefined && t.startsWith('-') && t.length > 1 && !/^-\d/.test(t);
}

/**
 * Parse the options of one rule (everything after `-A CHAIN`).
 * `family` decides how addresses are read (IPv6 rules keep their text).
 */
export function parseRuleOptions(tokens: readonly string[], family: 4 | 6): RuleOptions {
  const matches: Match[] = [];
  const unsure: string[] = [];
  const problems: string[] = [];
  let counters: Counters | null = null;
  let target: Target = { kind: 'none' };
  let protoWord: string | null = null;
  /** The `-m` module the next `--option` belongs to (null = base options). */
  let module: string | null = null;
  let negate = false;
  let i = 0;
  const warned = new Set<string>();

  const next = (): string | undefined => tokens[i++];
  /** Old iptables accepted `--dport ! 80` (negation after the option name). */
  const takeValue = (): string | undefined => {
    if (tokens[i] === '!') {
      negate = true;
      i++;
    }
    return next();
  };
  const unknownMatch = (mod: string, args: string[]): void => {
    matches.push({ kind: 'unknown', module: mod, args });
    // A rate limit is uncertain by nature (the match says so); anything else the rule holds is not modelled.
    if (!isRateLimit(mod)) unsure.push(`-m ${mod} ${args.join(' ')}`.trim());
  };
  // Collects the arguments of an option we do not model, up to the next option.
  const restArgs = (first: string): string[] => {
    const args = [first];
    while (i < tokens.length && !isOption(tokens[i]) && tokens[i] !== '!') args.push(tokens[i++]!);
    return args;
  };

  while (i < tokens.length) {
    const tok = next()!;
    if (tok === '!') {
      negate = true;
      continue;
    }
    const neg = negate;
    // Base options (any position); they end a module's option list.
    switch (tok) {
      case '-s':
      case '--source':
      case '--src':
      case '-d':
      case '--destination':
      case '--dst': {
        const v = takeValue();
        const n = negate;
        negate = false;
        const addr = v === undefined ? null : parseAddr(v, n, family);
        const kind = tok === '-s' || tok === '--source' || tok === '--src' ? 'src' : 'dst';
        if (addr) matches.push({ kind, addr });
        else {
          problems.push(`cannot read address ${JSON.stringify(v ?? '')} of ${tok}`);
          matches.push({ kind: 'unknown', module: kind, args: [tok, v ?? ''] });
          unsure.push(`${tok} ${v ?? ''}`);
        }
        module = null;
        continue;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        const v = takeValue() ?? '';
        matches.push({ kind: tok === '-i' || tok === '--in-interface' ? 'in' : 'out', name: v, negate });
        negate = false;
        module = null;
        continue;
      }
      case '-p':
      case '--protocol': {
        const v = takeValue() ?? '';
        const n = protoNumber(v);
        if (n < 0) {
          problems.push(`unknown protocol ${JSON.stringify(v)}`);
          matches.push({ kind: 'unknown', module: 'proto', args: [v] });
          unsure.push(`-p ${v}`);
        } else matches.push({ kind: 'proto', proto: n, negate });
        // `-p 17 --dport 53` loads the udp module implicitly, as `-p udp` does.
        protoWord = n >= 0 ? protoName(n) : v.toLowerCase();
        negate = false;
        module = null;
        continue;
      }
      case '-f':
      case '--fragment':
        matches.push({ kind: 'fragment', negate });
        negate = false;
        continue;
      case '-c':
      case '--set-counters': {
        const a = next();
        const b = next();
        if (a !== undefined && b !== undefined && /^\d+$/.test(a) && /^\d+$/.test(b)) counters = { packets: Number(a), bytes: Number(b) };
        else problems.push(`cannot read counters after ${tok}`);
        continue;
      }
      case '-m':
      case '--match':
        module = (next() ?? '').toLowerCase();
        negate = false;
        // A module given without options (`-m socket`) still restricts the rule.
        if (!KNOWN_MODULES.has(module) && module !== 'icmp6' && !(tokens[i]?.startsWith('--') || tokens[i] === '!')) {
          unknownMatch(module, []);
          warned.add(module);
          problems.push(`match "${module}" is not modelled: the rule may match`);
        }
        continue;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const name = next() ?? '';
        const args: string[] = [];
        while (i < tokens.length) args.push(tokens[i++]!);
        const r = parseTarget(name, args, tok === '-g' || tok === '--goto');
        target = r.target;
        problems.push(...r.problems);
        // Options after the target belong to it (iptables-save prints the target last).
        continue;
      }
    }

    // A match option: it belongs to the current module, or to the protocol's implicit one (`-p tcp --dport 80`).
    const mod = module ?? (protoWord !== null && (PORT_MODULES.has(protoWord) || protoWord === 'icmp') ? protoWord : null);
    if (!tok.startsWith('--')) {
      problems.push(`unexpected word ${JSON.stringify(tok)}`);
      unsure.push(tok);
      matches.push({ kind: 'unknown', module: mod ?? '?', args: [tok] });
      negate = false;
      continue;
    }
    const handled = readModuleOption(mod, tok, neg);
    negate = false;
    if (!handled) {
      const args = restArgs(tok);
      if (neg) args.unshift('!');
      unknownMatch(mod ?? '?', args);
      const key = mod ?? '?';
      if (!warned.has(key)) {
        warned.add(key);
        problems.push(
          mod !== null && KNOWN_MODULES.has(mod)
            ? `option ${tok} of match "${mod}" is not modelled: the rule may match`
            : mod !== null && isRateLimit(mod)
              ? `match "${mod}" (${args.join(' ')}) is a rate limit: the rule matches only some packets, which cannot be told from the snapshot`
              : `match ${mod === null ? 'option' : `"${mod}"`} (${args.join(' ')}) is not modelled: the rule may match`,
        );
      }
    }
  }
  return { matches: mergeUnknown(matches), target, unsure: mergeUnsure(unsure), counters, problems };

  /** Returns false when the option is not one we model. */
  function readModuleOption(mod: string | null, opt: string, neg: boolean): boolean {
    if (mod === null) return false;
    if (PORT_MODULES.has(mod) && (opt === '--dport' || opt === '--destination-port' || opt === '--sport' || opt === '--source-port')) {
      const v = takeValue() ?? '';
      const r = parsePortRange(v);
      const kind = opt === '--dport' || opt === '--destination-port' ? 'dport' : 'sport';
      if (!r) {
        problems.push(`cannot read port ${JSON.stringify(v)}`);
        unknownMatch(mod, [opt, v]);
      } else matches.push({ kind, ranges: [r], negate: neg || negate });
      negate = false;
      return true;
    }
    if (mod === 'multiport' && (opt === '--dports' || opt === '--destination-ports' || opt === '--sports' || opt === '--source-ports')) {
      const v = takeValue() ?? '';
      const r = parsePortList(v);
      const kind = opt === '--dports' || opt === '--destination-ports' ? 'dport' : 'sport';
      if (!r) {
        problems.push(`cannot read ports ${JSON.stringify(v)}`);
        unknownMatch(mod, [opt, v]);
      } else matches.push({ kind, ranges: r, negate: neg || negate });
      negate = false;
      return true;
    }
    if ((mod === 'icmp' || mod === 'icmp6' || mod === 'icmpv6') && (opt === '--icmp-type' || opt === '--icmpv6-type')) {
      const v = takeValue() ?? '';
      const t = icmpType(v);
      if (!t) {
        problems.push(`unknown ICMP type ${JSON.stringify(v)}`);
        unknownMatch(mod, [opt, v]);
      } else if (t[0] >= 0) matches.push({ kind: 'icmp-type', type: t[0], code: t[1], negate: neg || negate });
      negate = false;
      return true;
    }
    if ((mod === 'conntrack' && opt === '--ctstate') || (mod === 'state' && opt === '--state')) {
      const v = takeValue() ?? '';
      matches.push({ kind: 'ctstate', states: v.split(',').map((s) => s.toUpperCase()).filter((s) => s !== ''), negate: neg || negate });
      negate = false;
      return true;
    }
    if (mod === 'conntrack' && (opt === '--ctorigsrc' || opt === '--ctorigdst' || opt === '--ctreplsrc' || opt === '--ctrepldst')) {
      const v = takeValue() ?? '';
      const addr = parseAddr(v, neg || negate, family);
      negate = false;
      if (!addr) {
        problems.push(`cannot read address ${JSON.stringify(v)} of ${opt}`);
        unknownMatch(mod, [opt, v]);
      } else matches.push({ kind: opt.slice(2) as 'ctorigsrc' | 'ctorigdst' | 'ctreplsrc' | 'ctrepldst', addr });
      return true;
    }
    if ((mod === 'mark' || mod === 'connmark') && opt === '--mark') {
      const v = takeValue() ?? '';
      const mk = parseMark(v);
      if (!mk) {
        problems.push(`cannot read mark ${JSON.stringify(v)}`);
        unknownMatch(mod, [opt, v]);
      } else matches.push({ kind: mod, value: mk.value, mask: mk.mask, negate: neg || negate });
      negate = false;
      return true;
    }
    if (mod === 'set' && (opt === '--match-set' || opt === '--set')) {
      // `--set` is the old spelling; `--match-set ! NAME` the old place of the negation.
      const name = takeValue() ?? '';
      const word = next() ?? '';
      const flags = word.split(',');
      const n = neg || negate;
      negate = false;
      if (name === '' || !flags.every((f) => f === 'src' || f === 'dst')) {
        problems.push(`cannot read ${opt} ${name} ${word}`.trim());
        unknownMatch(mod, [...(n ? ['!'] : []), opt, name, word]);
      } else matches.push({ kind: 'set', name, flags: flags as ('src' | 'dst')[], negate: n, returnNomatch: false });
      return true;
    }
    if (mod === 'set' && opt === '--return-nomatch') {
      const at = matches.findLastIndex((m) => m.kind === 'set');
      if (at >= 0) matches[at] = { ...(matches[at] as Extract<Match, { kind: 'set' }>), returnNomatch: true };
      return true;
    }
    if (mod === 'set' && (opt === '--update-counters' || opt === '--update-subcounters')) {
      // Whether the set's counters count the packet: nothing the match decides by.
      negate = false;
      return true;
    }
    if (mod === 'comment' && opt === '--comment') {
      matches.push({ kind: 'comment', text: next() ?? '' });
      return true;
    }
    if (mod === 'addrtype' && (opt === '--src-type' || opt === '--dst-type' || opt === '--limit-iface-in' || opt === '--limit-iface-out')) {
      let at = matches.findIndex((m) => m.kind === 'addrtype');
      if (at < 0) {
        matches.push({ kind: 'addrtype', negateSrc: false, negateDst: false, limitIfaceIn: false, limitIfaceOut: false });
        at = matches.length - 1;
      }
      const cur = matches[at] as Extract<Match, { kind: 'addrtype' }>;
      if (opt === '--limit-iface-in') matches[at] = { ...cur, limitIfaceIn: true };
      else if (opt === '--limit-iface-out') matches[at] = { ...cur, limitIfaceOut: true };
      else {
        const v = takeValue() ?? '';
        const types = v.split(',').map((s) => s.toUpperCase());
        const n = neg || negate;
        matches[at] = opt === '--src-type' ? { ...cur, srcType: types, negateSrc: n } : { ...cur, dstType: types, negateDst: n };
        negate = false;
      }
      return true;
    }
    if (mod === 'statistic' && (opt === '--mode' || opt === '--probability' || opt === '--every' || opt === '--packet')) {
      let at = matches.findIndex((m) => m.kind === 'statistic');
      if (at < 0) {
        matches.push({ kind: 'statistic', mode: 'random', negate: false });
        at = matches.length - 1;
      }
      const cur = matches[at] as Extract<Match, { kind: 'statistic' }>;
      const v = takeValue() ?? '';
      const n = neg || negate;
      negate = false;
      if (opt === '--mode') {
        if (v !== 'random' && v !== 'nth') problems.push(`unknown statistic mode ${JSON.stringify(v)}`);
        matches[at] = { ...cur, mode: v === 'nth' ? 'nth' : 'random' };
      } else if (opt === '--probability') matches[at] = { ...cur, probability: Number(v), negate: cur.negate || n };
      else if (opt === '--every') matches[at] = { ...cur, every: Number(v), negate: cur.negate || n };
      else matches[at] = { ...cur, packet: Number(v) };
      return true;
    }
    return false;
  }
}

const KNOWN_MODULES = new Set([...PORT_MODULES, 'multiport', 'icmp', 'conntrack', 'state', 'mark', 'connmark', 'comment', 'addrtype', 'statistic', 'set']);

/**
 * Consecutive unknown options of one module become one unknown match (one "may match" reason). Their arguments are
 * gathered in one array, not copied again per option: a line of 20,000 unknown words took seconds, quadratically.
 */
function mergeUnknown(ms: readonly Match[]): Match[] {
  const out: Match[] = [];
  let gathering: string[] | null = null;
  for (const m of ms) {
    const prev = out[out.length - 1];
    if (m.kind === 'unknown' && prev?.kind === 'unknown' && prev.module === m.module) {
      if (gathering === null) {
        gathering = [...prev.args];
        out[out.length - 1] = { kind: 'unknown', module: m.module, args: gathering };
      }
      for (const a of m.args) gathering.push(a);
    } else {
      out.push(m);
      gathering = null;
    }
  }
  return out;
}

function mergeUnsure(us: readonly string[]): string[] {
  const out: string[] = [];
  for (const u of us) {
    const prev = out[out.length - 1];
    const mod = /^-m (\S+) /.exec(u)?.[1];
    if (prev !== undefined && mod !== undefined && prev.startsWith(`-m ${mod} `)) out[out.length - 1] = `${prev} ${u.slice(`-m ${mod} `.length)}`;
    else out.push(u);
  }
  return out;
}

/** The target and its options. Unknown names that look like chains become jumps; the ruleset builder checks them. */
export function parseTarget(name: string, args: readonly string[], isGoto: boolean): { target: Target; problems: string[] } {
  const problems: string[] = [];
  const opt = (o: string): string | undefined => {
    const k = args.indexOf(o);
    return k >= 0 ? args[k + 1] : undefined;
  };
  const has = (o: string): boolean => args.includes(o);
  if (isGoto) return { target: { kind: 'goto', chain: name }, problems };
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { target: { kind: name }, problems };
    case 'REJECT':
      // Without --reject-with the kernel sends icmp-port-unreachable (libxt_REJECT default).
      return { target: { kind: 'REJECT', rejectWith: opt('--reject-with') ?? 'icmp-port-unreachable' }, problems };
    case 'DNAT':
    case 'SNAT': {
      const key = name === 'DNAT' ? '--to-destination' : '--to-source';
      const to: NatRange[] = [];
      args.forEach((a, k) => {
        if (a !== key && a !== '--to') return;
        const r = parseNatRange(args[k + 1] ?? '');
        if (r) to.push(r);
        else problems.push(`cannot read ${name} ${a} ${JSON.stringify(args[k + 1] ?? '')}`);
      });
      if (name === 'DNAT') return { target: { kind: 'DNAT', to, random: has('--random'), persistent: has('--persistent') }, problems };
      return {
        target: { kind: 'SNAT', to, random: has('--random'), randomFully: has('--random-fully'), persistent: has('--persistent') },
        problems,
      };
    }
    case 'MASQUERADE':
    case 'REDIRECT': {
      const p = opt('--to-ports');
      const ports = p === undefined ? null : parsePortRange(p);
      if (p !== undefined && !ports) problems.push(`cannot read ${name} --to-ports ${JSON.stringify(p)}`);
      if (name === 'REDIRECT') return { target: { kind: 'REDIRECT', ports }, problems };
      return { target: { kind: 'MASQUERADE', ports, random: has('--random'), randomFully: has('--random-fully') }, problems };
    }
    case 'MARK':
    case 'CONNMARK':
    case 'LOG':
    case 'NFLOG':
    case 'TRACE':
      return { target: { kind: name, args: [...args] }, problems };
    case 'CT':
      return { target: { kind: 'CT', notrack: has('--notrack'), args: [...args] }, problems };
    case 'NOTRACK':
      return { target: { kind: 'NOTRACK' }, problems };
    case '':
      problems.push('-j without a target name');
      return { target: { kind: 'unknown', name: '', args: [...args] }, problems };
  }
  if (OTHER_TARGETS.has(name)) {
    problems.push(`target ${name} is not modelled`);
    return { target: { kind: 'unknown', name, args: [...args] }, problems };
  }
  if (args.length > 0) problems.push(`unexpected options after -j ${name}: ${args.join(' ')}`);
  return { target: { kind: 'jump', chain: name }, problems };
}
