/**
 * Runs make-fixtures.sh against this machine's kernel and iptables into a temporary folder and checks that every
 * form it dumps still parses to the same rules: the committed fixtures cannot go stale against a newer iptables.
 * Needs root, network namespaces, iptables-legacy/-nft and conntrack; skipped cleanly without them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIptablesList } from '../../src/gateway/iptables-list.js';
import { parseIptablesSave } from '../../src/gateway/iptables-save.js';
import { parseIptablesRulesSpec } from '../../src/gateway/iptables-spec.js';
import { compareTables } from '../../src/gateway/reconcile.js';
import type { RulesetDisagreement, TableName } from '../../src/model/ruleset.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/gateway/make-fixtures.sh', import.meta.url));
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canRun =
  process.getuid?.() === 0 && ['ip', 'iptables-legacy', 'iptables-nft', 'iptables-legacy-save', 'conntrack'].every(has);

describe.skipIf(!canRun)('live lab (root, netns)', () => {
  it('every form dumped by this machine\'s iptables reconciles with iptables-save -c', { timeout: 60_000 }, () => {
    const out = mkdtempSync(join(tmpdir(), 'natlens-live-'));
    execFileSync('bash', [SCRIPT], { env: { ...process.env, NATLENS_FIXTURE_OUT: out }, stdio: 'pipe' });
    const read = (f: string) => readFileSync(join(out, f), 'utf8');
    for (const be of ['legacy', 'nft']) {
      const ref = parseIptablesSave(read(`${be}-save-c.txt`), 'ref').ruleset;
      expect(Object.keys(ref.tables).sort()).toEqual(['filter', 'mangle', 'nat', 'raw']);
      const d: RulesetDisagreement[] = [];
      for (const t of ['raw', 'mangle', 'nat', 'filter'] as TableName[]) {
        const l = parseIptablesList(read(`${be}-L-${t}.txt`), 'l');
        compareTables(ref.tables[t]!, l.ruleset.tables[t]!, l.exactCounters, d);
        compareTables(ref.tables[t]!, parseIptablesList(read(`${be}-Lx-${t}.txt`), 'x').ruleset.tables[t]!, true, d);
        compareTables(ref.tables[t]!, parseIptablesRulesSpec(read(`${be}-S-${t}.txt`), 's').ruleset.tables[t]!, true, d);
      }
      expect(d).toEqual([]);
    }
    expect(parseIptablesSave(read('nft-save-with-legacy-warning.txt'), 'w').ruleset.legacyTablesPresent).not.toBeNull();
  });
});
