import type { Snapshot } from '../model/snapshot.js';
import type { TableName } from '../model/ruleset.js';
import type { RuleRef } from '../model/trace.js';
import { isNftChain } from '../simulate/rule-ref.js';

/**
 * The commands that change one rule the snapshot holds, in the tool that owns it: iptables (`-D` by its text, `-R`
 * by its position) or nftables, whose rules are changed by handle (`nft -a list chain` shows them). An nftables
 * rule is named `<family> <table> <chain>` — a chain name iptables would refuse (it has spaces). A rule nft listed
 * from a table iptables-nft made is iptables' all the same: nft would leave rules there iptables-nft cannot read.
 */
export function isNftRule(rule: Pick<RuleRef, 'chain' | 'iptables'>): boolean {
  return isNftChain(rule.chain) && !rule.iptables;
}

/** The syntax a rule's text is edited in: iptables' options, or nft's statements. */
export type RuleSyntax = 'iptables' | 'nft';

/**
 * Whose rules a chain holds when a firewall front end writes them anew (and so undoes what a command changes):
 * firewalld (its table `inet firewalld`) or ufw (its `ufw-` chains); null for rules of one's own (and Docker's,
 * which it leaves alone but for its own chains' contents).
 */
export function chainWriter(chain: string): 'firewalld' | 'ufw' | null {
  if (chain.startsWith('inet firewalld ')) return 'firewalld';
  if (/^(ip filter )?ufw-/.test(chain)) return 'ufw';
  return null;
}

/** Remove `rule`. */
export function deleteRuleCommand(rule: RuleRef): string {
  // A front end's rule: through the front end, which would write it back.
  const writer = chainWriter(rule.chain);
  if (writer === 'firewalld') return "firewall-cmd --list-all-zones; firewall-cmd --list-all-policies  # the zone or policy that makes this rule: change it there (firewalld writes its nftables table anew at every reload)";
  if (writer === 'ufw') {
    return /(^| )ufw-user-/.test(rule.chain)
      ? 'ufw status numbered  # the rule\'s number; then: ufw delete <number>'
      : '# ufw writes this chain from /etc/ufw/before.rules or after.rules: remove the rule there, then: ufw reload';
  }
  // By its options where natlens can write them (a number shifts as rules before it go), else by its number.
  if (rule.iptables) return `iptables -t ${rule.iptables.table} -D ${rule.iptables.chain} ${rule.iptables.spec ?? rule.index}`;
  if (isNftRule(rule)) return `nft -a list chain ${rule.chain}  # the rule's handle, then: nft delete rule ${rule.chain} handle <handle>`;
  return `iptables -t ${rule.table} -D ${rule.text.replace(/^-A\s+/, '')}`;
}

/**
 * Replace `rule` by the same rule with `edit` applied to its text, in the syntax given: the part after `-A CHAIN`
 * for iptables, the whole rule for nft.
 */
export function replaceRuleCommand(rule: RuleRef, edit: (body: string, syntax: RuleSyntax) => string): string {
  const ipt = rule.iptables;
  if (ipt) {
    const at = `iptables -t ${ipt.table} -R ${ipt.chain} ${rule.index}`;
    if (ipt.spec !== null) return `${at} ${edit(ipt.spec, 'iptables')}`;
    // Options natlens cannot write in iptables' words: the rule as iptables prints it, and the change in nft's.
    return `iptables -t ${ipt.table} -S ${ipt.chain} ${rule.index}  # the rule in iptables' words; then ${at} <those options, changed as here: ${withFreshCounter(edit(rule.text, 'nft'))}>`;
  }
  // The counters the listing printed are not carried over: `counter` starts a fresh one.
  if (isNftRule(rule)) return `nft -a list chain ${rule.chain}  # the rule's handle, then: nft replace rule ${rule.chain} handle <handle> ${withFreshCounter(edit(rule.text, 'nft'))}`;
  return `iptables -t ${rule.table} -R ${rule.chain} ${rule.index} ${edit(rule.text.replace(/^-A\s+\S+\s+/, ''), 'iptables')}`;
}

function withFreshCounter(text: string): string {
  return text.replace(/\bcounter packets \d+ bytes \d+/, 'counter');
}

/**
 * Who changes the rules of chain `chain` (as the rules name it), and by what name: iptables (its table and chain)
 * for iptables' chains and those of the tables iptables-nft made, which nft lists as `ip <table> <CHAIN>`; nft for
 * any other nftables chain.
 */
export function chainTool(snapshot: Snapshot | null | undefined, table: TableName, chain: string): { tool: 'iptables'; table: TableName; chain: string } | { tool: 'nft'; chain: string } {
  if (!isNftChain(chain)) return { tool: 'iptables', table, chain };
  const [family, nftTable, name] = chain.split(' ');
  if (family === 'ip' && name !== undefined && (snapshot?.nft?.iptablesTables ?? []).includes(nftTable!)) return { tool: 'iptables', table: nftTable as TableName, chain: name };
  return { tool: 'nft', chain };
}

/** A chain rules can be added to, in the tool that owns it (chainTool). */
export type ChainPlace = ReturnType<typeof chainTool>;

/**
 * The command that adds a rule to `place`, written in its tool's words: `spec.iptables` (options after the chain)
 * or `spec.nft` (statements); at the chain's head with `insert`.
 */
export function addRuleCommand(place: ChainPlace, spec: { readonly iptables: string; readonly nft: string }, insert = false): string {
  if (place.tool === 'nft') return `nft ${insert ? 'insert' : 'add'} rule ${place.chain} ${spec.nft}`;
  return `iptables${place.table === 'filter' ? '' : ` -t ${place.table}`} -${insert ? 'I' : 'A'} ${place.chain} ${spec.iptables}`;
}

/**
 * Where a new NAT rule at `hook` goes: nftables' nat chain at that hook when the NAT lives in nftables (no iptables
 * nat rule translates anything) — iptables' chain all the same when that chain is iptables-nft's — else iptables'
 * nat PREROUTING or POSTROUTING. Never firewalld's chain, which it writes anew at every reload.
 */
export function natHookChain(snapshot: Snapshot | null | undefined, hook: 'PREROUTING' | 'POSTROUTING'): ChainPlace {
  const nftChain = (snapshot?.nft?.baseChains ?? []).find((b) => b.type === 'nat' && b.hook === hook && !chainWriter(b.chain.name));
  const iptablesNat = (snapshot?.rules?.tables.nat?.chains ?? []).some((c) => c.rules.some((r) => r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE' || r.target.kind === 'DNAT'));
  return nftChain && !iptablesNat ? chainTool(snapshot, 'nat', nftChain.chain.name) : { tool: 'iptables', table: 'nat', chain: hook };
}

/** nft's NAT statement for `place`: `snat to` in an ip table, `snat ip to` in an inet one (which must say the family). */
export function nftNatTo(place: ChainPlace, kind: 'snat' | 'dnat'): string {
  return place.tool === 'nft' && place.chain.startsWith('inet ') ? `${kind} ip to` : `${kind} to`;
}

/** How to make rules changed by hand survive a reboot, for each tool whose rules were changed. */
export function persistCommands(tools: Iterable<'iptables' | 'nft'>): string[] {
  const set = new Set(tools);
  return [
    ...(set.has('nft') ? ['nft list ruleset > /etc/nftables.conf  # persist where nftables.service restores it at boot (firewalld: firewall-cmd --runtime-to-permanent)'] : []),
    ...(set.has('iptables') ? ['iptables-save > /etc/iptables/rules.v4  # persist where the distribution restores rules at boot'] : []),
  ];
}

/** The command that prints the rules of `place`, as its tool writes them. */
export function listChainCommand(place: ChainPlace): string {
  return place.tool === 'nft' ? `nft -a list chain ${place.chain}` : `iptables${place.table === 'filter' ? '' : ` -t ${place.table}`} -S ${place.chain}`;
}

/**
 * Where a new rule for `table` at `hook` goes: iptables' chain when the snapshot holds iptables rules for that table
 * (or no nftables chain at the hook), else the nftables filter chain at the hook — the one standing for that table
 * (by priority) if there is one.
 */
export function hookChain(snapshot: Snapshot | null | undefined, table: 'filter' | 'mangle', hook: 'PREROUTING' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING'): ChainPlace {
  const ipt = { tool: 'iptables' as const, table, chain: hook };
  if ((snapshot?.rules?.tables[table]?.chains ?? []).some((c) => c.rules.length > 0)) return ipt;
  // Not a front end's chain (firewalld's): it would undo the rule at its next reload.
  const at = (snapshot?.nft?.baseChains ?? []).filter((b) => b.type === 'filter' && b.hook === hook && !chainWriter(b.chain.name));
  const b = at.find((x) => x.stage === table) ?? at[0];
  return b ? chainTool(snapshot, table, b.chain.name) : ipt;
}

/**
 * The firewalld zone an interface is in, as firewalld's nftables rules dispatch it (`iifname "X" goto
 * filter_FWD_<zone>` or `filter_IN_<zone>`); null when there are none, or they do not say.
 */
export function firewalldZone(snapshot: Snapshot | null | undefined, iface: string): string | null {
  const chains = new Set((snapshot?.nft?.baseChains ?? []).filter((b) => chainWriter(b.chain.name) === 'firewalld').flatMap((b) => [...b.chains.values()]));
  for (const c of chains) {
    for (const r of c.rules) {
      if (r.target.kind !== 'goto' && r.target.kind !== 'jump') continue;
      const zone = /^inet firewalld filter_(?:FWD|IN)_(.+)$/.exec(r.target.chain)?.[1];
      if (!zone || zone.startsWith('policy_') || /_(pre|post|log|deny|allow)$/.test(zone)) continue;
      if (r.matches.some((m) => m.kind === 'in' && !m.negate && m.name === iface)) return zone;
    }
  }
  return null;
}
