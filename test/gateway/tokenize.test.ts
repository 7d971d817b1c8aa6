import { describe, expect, it } from 'vitest';
import { quoteToken, tokenize } from '../../src/gateway/tokenize.js';

describe('tokenize', () => {
  it.each([
    ['-A X -j ACCEPT', ['-A', 'X', '-j', 'ACCEPT']],
    ['-m comment --comment "say \\"hi\\" there" -j DROP', ['-m', 'comment', '--comment', 'say "hi" there', '-j', 'DROP']],
    ["--comment \"it\\'s a \\'log\\'\"", ['--comment', "it's a 'log'"]],
    ["--log-prefix 'a b: '", ['--log-prefix', 'a b: ']],
    ['--comment ""  -j  X', ['--comment', '', '-j', 'X']],
    ['  tabs\tand  spaces ', ['tabs', 'and', 'spaces']],
  ])('%s', (line, tokens) => {
    const r = tokenize(line);
    expect(r.tokens).toEqual(tokens);
    expect(r.unterminatedQuote).toBe(false);
  });

  it('reports a quote that never closes', () => {
    const r = tokenize('--comment "cut here');
    expect(r.unterminatedQuote).toBe(true);
    expect(r.tokens).toEqual(['--comment', 'cut here']);
  });

  it.each(['plain', 'two words', 'say "hi"', "it's", 'back\\slash', ''])('quoteToken round-trips %j', (s) => {
    expect(tokenize(quoteToken(s)).tokens).toEqual([s]);
  });
});
