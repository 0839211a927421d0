import { describe, expect, it } from 'vitest';
import { didYouMean } from '../src/suggest.js';

describe('didYouMean', () => {
  it('finds a near miss and ignores a far one', () => {
    expect(didYouMean('interview_langauge', ['interview_language', 'skills'])).toBe('interview_language');
    expect(didYouMean('x', ['interview_language'])).toBeUndefined();
  });
});
