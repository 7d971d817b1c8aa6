import type { Evidence } from '../model/analysis.js';
import type { BootSysctl, BootSysctls } from '../model/host.js';
import type { CheckContext } from './check.js';
import { bootSetting, isGlob, settingsFor } from '../gateway/sysctl-conf.js';

/** What the boot configuration says of the sysctls a finding turns on, when the snapshot holds it. */
export interface BootFacts {
  /** Whether the running value comes back at boot, and why. */
  readonly sentence: string;
  readonly evidence: Evidence[];
  /** Commands that correct the boot configuration where it sets a wrong value (before the usual fix). */
  readonly fix: string[];
  /** Every key is set to the wanted value at boot already: a drop-in file would add nothing. */
  readonly persisted: boolean;
  /** Keys the boot configuration sets wrong, for the drop-in file to set right. */
  readonly wrongAtBoot: string[];
  /**
   * The name for a drop-in file of /etc/sysctl.d that is applied after every configuration file that writes these
   * keys (files are applied in the order of their names, whatever their folder): the one asked for, or it after `zz-`.
   */
  dropIn(name: string): string;
}

/**
 * The keys whose boot state natlens tells, each with the keys that write the same value (`net.ipv4.ip_forward` and
 * `net.ipv4.conf.all.forwarding` are one switch) and the kernel's own value when nothing sets them. Per-interface
 * keys are left out: a gateway's interfaces (a pod's, made after boot in a namespace of its own) take theirs from
 * `default` when they are created — and a pod's namespace its `all` and `default` from its node's — not from a line
 * of the boot configuration that names them.
 */
const BOOT_KEYS: Readonly<Record<string, { readonly same: readonly string[]; readonly kernelDefault: string; readonly reach?: string }>> = {
  'net.ipv4.ip_forward': { same: ['net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding'], kernelDefault: '0' },
  'net.ipv4.conf.all.rp_filter': { same: ['net.ipv4.conf.all.rp_filter'], kernelDefault: '0', reach: 'every interface not set to 2 itself' },
  'net.ipv4.conf.default.rp_filter': { same: ['net.ipv4.conf.default.rp_filter'], kernelDefault: '0', reach: "every interface made after boot, a gateway pod's included" },
};

const sedEscape = (s: string): string => s.replace(/[.[\]*^$/\\]/g, '\\$&');

/** The last assignment, at boot, of any key that writes the same switch as `key`. */
function lastSetting(boot: BootSysctls, key: string): BootSysctl | null {
  let s: BootSysctl | null = null;
  for (const k of BOOT_KEYS[key]!.same) {
    const x = bootSetting(boot, k);
    if (x && (!s || boot.settings.indexOf(x) > boot.settings.indexOf(s))) s = x;
  }
  return s;
}

/**
 * A command that corrects assignment `s` to `wanted`: an administrator's file (/etc) in place — through a link, as
 * Debian's /etc/sysctl.d/99-sysctl.conf is one to /etc/sysctl.conf; a vendor's (/usr/lib, /run) is left to its
 * package, and outranked by the drop-in file.
 */
function correction(s: BootSysctl, wanted: string): string {
  if (s.confFile.startsWith('/etc/') && !isGlob(s.key)) {
    return `sed -i --follow-symlinks 's/^\\([[:space:]]*-\\?\\)${sedEscape(s.key)}[[:space:]]*=.*/\\1${s.key} = ${wanted}/' ${s.confFile}  # the boot configuration sets ${s.value}`;
  }
  return `# ${s.confFile} sets ${s.key} = ${s.value} at boot: the drop-in file below comes after it and sets ${wanted}`;
}

function filesRead(boot: BootSysctls): string {
  const f = boot.confFiles;
  return (f.length > 3 ? `${f.slice(0, 3).join(', ')} and ${f.length - 3} more` : f.join(', ')) || 'no file';
}

/**
 * Whether `keys` (dotted), found at a value other than `wanted` (a fault when `faulty` says so), come back so at
 * boot: the boot configuration (`systemd-analyze cat-config sysctl.d`…) sets them wrong — every reboot brings the
 * fault back, as in the incident natlens was made for — or sets nothing, and the kernel's default is itself the
 * fault; or it does not, and the value was set after boot (or the configuration was not applied). Null when the
 * snapshot holds no boot configuration or the keys are none natlens tells the boot state of.
 */
export function bootFacts(ctx: CheckContext, keys: readonly string[], wanted: string, faulty: (value: string) => boolean = (v) => v !== wanted): BootFacts | null {
  const boot = ctx.snapshot?.host.bootSysctls;
  const told = keys.filter((k) => k in BOOT_KEYS);
  if (!boot || !told.length) return null;
  const sentences: string[] = [];
  const evidence: Evidence[] = [];
  const fix: string[] = [];
  const wrongAtBoot: string[] = [];
  const unsetFaulty: string[] = [];
  const fine: string[] = [];
  for (const key of told) {
    const s = lastSetting(boot, key);
    const spec = BOOT_KEYS[key]!;
    if (!s) {
      if (faulty(spec.kernelDefault)) unsetFaulty.push(key);
      else fine.push(`${key} (kernel default ${spec.kernelDefault})`);
      continue;
    }
    evidence.push({ kind: 'sysctl', file: s.source.file, line: s.source.line, key: s.key, value: s.value!, boot: s.confFile });
    if (!faulty(s.value!)) {
      fine.push(`${s.key} = ${s.value} (${s.confFile})`);
      continue;
    }
    wrongAtBoot.push(key);
    sentences.push(`At boot ${s.confFile} sets ${s.key} = ${s.value}${spec.reach ? ` — for ${spec.reach}` : ''}: every reboot brings it back, until that line is changed.`);
    fix.push(correction(s, wanted));
  }
  if (unsetFaulty.length) {
    const defaults = [...new Set(unsetFaulty.map((k) => BOOT_KEYS[k]!.kernelDefault))];
    sentences.push(`Nothing in the boot configuration (${filesRead(boot)}) sets ${unsetFaulty.join(' or ')}: every boot starts from the kernel's ${defaults.join('/')}, the fault itself, until something sets it again.`);
    evidence.push({ kind: 'note', text: `boot configuration read: ${boot.confFiles.join(', ') || 'no file'}; none sets ${unsetFaulty.join(', ')}` });
  }
  if (!sentences.length) {
    sentences.push(
      `At boot nothing brings it back (${fine.join('; ')}): it was set so after boot, or the configuration was not applied (sysctl --system) — or, on a node, applied after the gateway's pod was made, which keeps the value its node had then.`,
    );
  }
  // The files that write these keys at all: the drop-in must come after each of them.
  const names = told.flatMap((k) => BOOT_KEYS[k]!.same.flatMap((x) => settingsFor(boot, x))).map((x) => x.confFile.slice(x.confFile.lastIndexOf('/') + 1));
  const dropIn = (name: string): string => (names.every((n) => n < name) ? name : `zz-${name}`);
  return { sentence: sentences.join(' '), evidence, fix, persisted: !wrongAtBoot.length && !unsetFaulty.length, wrongAtBoot: [...wrongAtBoot, ...unsetFaulty], dropIn };
}
