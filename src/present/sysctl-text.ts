import type { Evidence } from '../model/analysis.js';

/** A sysctl evidence line's words: `key = value`, and where a boot configuration (sysctl.d) sets it so. */
export function sysctlText(e: Extract<Evidence, { kind: 'sysctl' }>): string {
  return `${e.key} = ${e.value}${e.boot ? ` (set at boot by ${e.boot})` : ''}`;
}
