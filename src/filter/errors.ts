// The one error a filter expression can raise.

/**
 * A filter expression that ss's grammar does not accept, or a value in it that sockscope cannot use.
 * The message names the token, its word number (1-based, counting the words after splitting on
 * blanks and around parentheses) and the whole expression, e.g.
 * `Unexpected 'foo' at word 3 of "dport = foo": expected a port`.
 */
export class FilterSyntaxError extends SyntaxError {
  /** Always `ERR_FILTER_SYNTAX`. */
  readonly code = 'ERR_FILTER_SYNTAX';
  /** The expression as split into words and joined with single spaces. */
  readonly expression: string;
  /** 1-based number of the offending word; one past the last word when the expression ended early. */
  readonly word: number;
  /** The offending word, or null when the expression ended early. */
  readonly token: string | null;

  constructor(words: readonly string[], index: number, expected: string) {
    const expression = words.join(' ');
    const token = words[index] ?? null;
    const where = token === null ? `end after word ${index}` : `'${token}' at word ${index + 1}`;
    super(`Unexpected ${where} of "${expression}": expected ${expected}`);
    Object.defineProperty(this, 'name', { value: 'FilterSyntaxError', enumerable: false });
    this.expression = expression;
    this.word = index + 1;
    this.token = token;
  }
}
