/**
 * The quote-aware tokenizer shared by `iptables-save` and `iptables -S`.
 *
 * iptables prints a string argument quoted when it holds spaces or quotes (xtables_save_string):
 * `--comment "say \"hi\" there"`, `"it\'s"`; iptables-restore reads it back with add_param_to_argv, where a
 * backslash escapes the next character inside quotes and single quotes are accepted as well.
 */
export interface Tokens {
  readonly tokens: readonly string[];
  /** Set when a quote was opened and never closed (the line was cut). */
  readonly unterminatedQuote: boolean;
}

export function tokenize(line: string): Tokens {
  const tokens: string[] = [];
  let cur = '';
  let inToken = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      // iptables-save escapes both quote characters inside a quoted string (`"it\'s"`); a backslash keeps the next char.
      if (c === '\\' && i + 1 < line.length) {
        cur += line[i + 1];
        i++;
      } else if (c === quote) {
        quote = null;
      } else {
        cur += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inToken = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inToken) tokens.push(cur);
      cur = '';
      inToken = false;
      continue;
    }
    cur += c;
    inToken = true;
  }
  if (inToken) tokens.push(cur);
  return { tokens, unterminatedQuote: quote !== null };
}

/** Quote a token the way iptables-save does, so `tokenize(quoteToken(s))` gives `s` back. */
export function quoteToken(s: string): string {
  if (s !== '' && !/[\s"'\\]/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/(["'])/g, '\\$1')}"`;
}
