import type { Evidence } from '../model/analysis.js';
import type { CheckContext } from './check.js';
import { bootSetting, settingsFor } from '../gateway/sysctl-conf.js';
import type { BootSysctl } from '../model/host.js';

/** What the boot configuration says of the sysctls a finding turns on, when the snapshot holds it. */
export interface BootFacts {
  /** One sentence: whether the running value comes back at boot, and why. */
  readonly sentence: string;
  readonly evidence: Evidence[];
  /** Commands that correct the boot configuration where it sets a wrong value (before the usual fix). */
  readonly fix: string[];
  /** Every key is set to the wanted value at boot already: a drop-in file would add nothing. */
  readonly persisted: boolean;
  /**
   * The name for a drop-in file of /etc/sysctl.d that is applied after every configuration file that writes these
   * keys (files are applied in the order of their names, whatever their folder): the one asked for, or it after `zz-`.
   */
  dropIn(name: string): string;
}

/**
 * The keys whose boot state natlens tells, each with the keys that set the same value (`net.ipv4.ip_forward` and
 * `net.ipv4.conf.all.forwarding` are one switch) and the kernel's own value when nothing sets them. Per-interface
 * keys are left out: a gateway's interfaces (a pod's, made after boot in a namespace of its own) take theirs from
 * `default` when they are created, not from the boot configuration.
 */
const BOOT_KEYS: Readonly<Record<string, { readonly same: readonly string[]; readonly kernelDefault: string }>> = {
  'net.ipv4.ip_forward': { same: ['net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding'], kernelDefault: '0' },
};

const sedEscape = (s: string): string => s.replace(/[.[\]*^$/\\]/g, '\\$&');

/**
 * Whether `keys` (dotted), found at a value other than `wanted`, come back so at boot: the boot configuration
 * (`systemd-analyze cat-config sysctl.d`…) sets them wrong — every reboot brings the fault back, as in the incident
 * natlens was made for — or sets nothing, so the kernel's default returns; or sets them right, and something changed
 * them since (or the configuration was not applied). Null when the snapshot holds no boot configuration.
 */
export function bootFacts(ctx: CheckContext, keys: readonly string[], wanted: string): BootFacts | null {
  const boot = ctx.snapshot?.host.bootSysctls;
  if (!boot) return null;
  const sentences: string[] = [];
  const evidence: Evidence[] = [];
  const fix: string[] = [];
  let persisted = true;
  const unset: string[] = [];
  const told = keys.filter((k) => k in BOOT_KEYS);
  if (!told.length) return null;
  for (const key of told) {
    // The last assignment of any key that sets the same switch.
    let s: BootSysctl | null = null;
    for (const k of BOOT_KEYS[key]!.same) {
      const x = bootSetting(boot, k);
      if (x && (!s || boot.settings.indexOf(x) > boot.settings.indexOf(s))) s = x;
    }
    if (!s) {
      persisted = false;
      unset.push(key);
      continue;
    }
    evidence.push({ kind: 'sysctl', file: s.source.file, line: s.source.line, key: s.key, value: s.value!, boot: s.confFile });
    if (s.value === wanted) {
      sentences.push(`At boot ${s.confFile} sets ${s.key} = ${wanted}: it was changed since, or that configuration was not applied (sysctl --system) — or, on a node, applied after the gateway's pod was made, which keeps the value its node had then.`);
      continue;
    }
    persisted = false;
    sentences.push(`At boot ${s.confFile} sets ${s.key} = ${s.value}: every reboot brings it back, until that line is changed.`);
    // An administrator's file (/etc) is corrected in place — through a link, as Debian's /etc/sysctl.d/99-sysctl.conf
    // is one to /etc/sysctl.conf; a vendor's (/usr/lib, /run) is left to the package and outranked by the drop-in.
    if (s.confFile.startsWith('/etc/') && !/[*?[]/.test(s.key)) {
      fix.push(`sed -i --follow-symlinks 's/^\\([[:space:]]*-\\?\\)${sedEscape(s.key)}[[:space:]]*=.*/\\1${s.key} = ${wanted}/' ${s.confFile}  # the boot configuration sets ${s.value}`);
    } else {
      fix.push(`# ${s.confFile} sets ${s.key} = ${s.value} at boot: the drop-in file below comes after it and sets ${wanted}`);
    }
  }
  if (unset.length) {
    const defaults = [...new Set(unset.map((k) => BOOT_KEYS[k]!.kernelDefault))];
    const files = boot.confFiles.length > 3 ? `${boot.confFiles.slice(0, 3).join(', ')} and ${boot.confFiles.length - 3} more` : boot.confFiles.join(', ');
    sentences.push(
      `Nothing in the boot configuration (${files || 'no file'}) sets ${unset.join(' or ')}: ` +
        `every boot starts from the kernel's ${defaults.join('/')}, the fault itself, until something sets it again.`,
    );
    evidence.push({ kind: 'note', text: `boot configuration read: ${boot.confFiles.join(', ') || 'no file'}; none sets ${unset.join(', ')}` });
  }
  // The files that write the switch at all: the drop-in must come after each of them.
  const names = told.flatMap((k) => BOOT_KEYS[k]!.same.flatMap((x) => settingsFor(boot, x))).map((x) => x.confFile.slice(x.confFile.lastIndexOf('/') + 1));
  const dropIn = (name: string): string => (names.every((n) => n < name) ? name : `zz-${name}`);
  return { sentence: sentences.join(' '), evidence, fix, persisted, dropIn };
}
