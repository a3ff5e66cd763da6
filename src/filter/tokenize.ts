// Splits a filter into words as ss's lexer does (misc/ssfilter.y get_token_from_line).

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isParen = (c: string): boolean => c === '(' || c === ')';

/**
 * The words of a filter. ss joins its argv words and splits each on blanks, with a backslash
 * escaping the next character; on top of that a parenthesis is always a word of its own, so
 * `(dport = :443)` reads like `( dport = :443 )` (ss would refuse `(dport`).
 */
export function tokenize(input: string | readonly string[]): string[] {
  const words: string[] = [];
  for (const part of typeof input === 'string' ? [input] : input) splitInto(part, words);
  return words;
}

function splitInto(text: string, words: string[]): void {
  let word = '';
  let open = false; // a word is under way (it may be empty only after an escape)
  const flush = () => {
    if (open) words.push(word);
    word = '';
    open = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      open = true;
    } else if (isBlank(c)) {
      flush();
    } else if (isParen(c)) {
      flush();
      words.push(c);
    } else {
      word += c;
      open = true;
    }
  }
  flush();
}
