// ss's filter language: state words, then an expression (misc/ss.c main(), misc/ssfilter.y).

import type { FilterNode, ParsedFilter, PortOp, Side } from './ast.js';
import { FilterSyntaxError } from './errors.js';
import { anyHost, Expected, parseHostWord, parsePortWord } from './host.js';
import { ALL_STATES, DEFAULT_STATES, STATE_NAMES_HELP, stateMask } from './states.js';
import { tokenize } from './tokenize.js';

const NOT = new Set(['!', 'not']);
const AND = new Set(['&', '&&', 'and']);
const OR = new Set(['|', '||', 'or']);
const EQ = new Set(['=', '==', 'eq']);
const PORT_OPS: ReadonlyMap<string, PortOp> = new Map([
  ...[...EQ].map((w) => [w, 'eq'] as const),
  ...['!=', 'ne', 'neq'].map((w) => [w, 'ne'] as const),
  ...['<', 'lt'].map((w) => [w, 'lt'] as const),
  ...['<=', 'le', 'leq'].map((w) => [w, 'le'] as const),
  ...['>', 'gt'].map((w) => [w, 'gt'] as const),
  ...['>=', 'ge', 'geq'].map((w) => [w, 'ge'] as const),
]);
const STATE_WORDS = new Set(['state', 'exclude', 'excl']);
const UNSUPPORTED = new Set(['dev', 'fwmark', 'cgroup', 'autobound']);
const KEYWORDS = new Set([...NOT, ...AND, ...OR, ...PORT_OPS.keys(), '(', ')', 'src', 'dst', 'sport', 'dport']);
const CONDITION = "a condition (src, dst, sport, dport), 'not' or '('";

/**
 * Parses an ss filter: the words after ss's options, as argv words (which ss joins) or one string.
 *
 * Leading `state NAME`, `exclude NAME` and `excl NAME` pairs are taken out first, exactly where ss
 * takes them (only before the expression): the first `state` starts from no state and adds, the
 * first `exclude` starts from all states and removes, later words add or remove in order. Words
 * that select no state (`exclude all`) select ss's default instead, {@link DEFAULT_STATES}, as ss
 * does whatever its -a or -l said.
 *
 * The rest follows ss's grammar: `not`/`!` binds to the term after it; `and`, `or` and two terms
 * side by side (an implied `and`) all have the same precedence and group from the left, so
 * `a or b and c` is `(a or b) and c`, as ss reads it. Use parentheses for anything else.
 *
 * @throws FilterSyntaxError naming the first word that does not fit.
 */
export function parseFilter(input: string | readonly string[]): ParsedFilter {
  if (typeof input !== 'string' && !(Array.isArray(input) && input.every((w) => typeof w === 'string'))) {
    throw new TypeError(`Expected a string or an array of strings for filter but received ${describe(input)}`);
  }
  const words = tokenize(input);
  const parser = new Parser(words);
  const states = parser.stateWords();
  const expression = parser.atEnd() ? null : parser.expressionList();
  if (!parser.atEnd()) parser.fail("the end, 'and', 'or' or a condition (no '(' to close)"); // a stray ')'
  return { states, expression };
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'an array holding a non-string' : `${String(value)} of type ${typeof value}`;
}

class Parser {
  private at = 0;

  constructor(private readonly words: readonly string[]) {}

  atEnd(): boolean {
    return this.at >= this.words.length;
  }

  peek(): string | undefined {
    return this.words[this.at];
  }

  fail(expected: string, at = this.at): never {
    throw new FilterSyntaxError(this.words, at, expected);
  }

  /** The mask of the leading state words, or null when there are none. */
  stateWords(): number | null {
    let mask: number | null = null;
    while (STATE_WORDS.has(this.peek() ?? '')) {
      const exclude = this.words[this.at++] !== 'state';
      const states = stateMask(this.peek() ?? '');
      if (states === undefined) this.fail(STATE_NAMES_HELP);
      this.at++;
      mask = exclude ? (mask ?? ALL_STATES) & ~states : (mask ?? 0) | states;
    }
    return mask === 0 ? DEFAULT_STATES : mask; // ss ignores an empty mask: its tables' default stays
  }

  /** exprlist: terms joined by and/or (or nothing, meaning and), grouped from the left. */
  expressionList(): FilterNode {
    let left = this.term();
    for (;;) {
      const word = this.peek();
      if (word === undefined || word === ')') return left;
      const type = OR.has(word) ? 'or' : 'and';
      if (AND.has(word) || OR.has(word)) this.at++;
      left = { type, left, right: this.term() };
    }
  }

  /** expr: `( exprlist )`, `not expr`, or a condition. */
  private term(): FilterNode {
    const word = this.peek();
    if (word === '(') {
      this.at++;
      if (this.peek() === ')') this.fail(CONDITION);
      const inner = this.expressionList();
      if (this.peek() !== ')') this.fail("')'");
      this.at++;
      return inner;
    }
    if (word !== undefined && NOT.has(word)) {
      this.at++;
      return { type: 'not', operand: this.term() };
    }
    if (word === 'src' || word === 'dst') return this.hostCondition(word);
    if (word === 'sport' || word === 'dport') return this.portCondition(word === 'sport' ? 'src' : 'dst');
    if (word !== undefined && STATE_WORDS.has(word)) this.fail(`${CONDITION}; state words go before the expression`);
    if (word !== undefined && UNSUPPORTED.has(word)) this.fail(`${CONDITION}; sockscope does not filter by ${word}`);
    return this.fail(CONDITION);
  }

  /** `src [=] HOST` or `dst [=] HOST`. */
  private hostCondition(side: Side): FilterNode {
    this.at++;
    if (EQ.has(this.peek() ?? '')) this.at++;
    return this.value((word) => parseHostWord(word, side), 'an address');
  }

  /** `sport [OP] PORT` or `dport [OP] PORT`; `= *` is any port. */
  private portCondition(side: Side): FilterNode {
    this.at++;
    const op = PORT_OPS.get(this.peek() ?? '');
    if (op !== undefined) this.at++;
    const port = this.value(parsePortWord, 'a port');
    if (port !== null) return { type: 'port', side, op: op ?? 'eq', port };
    if (op === undefined || op === 'eq') return anyHost(side, null);
    if (op === 'ne') return { type: 'not', operand: anyHost(side, null) };
    return this.fail('a port number (only = and != take *)', this.at - 1);
  }

  /** Reads the next word with `read`, turning its complaint into a FilterSyntaxError at that word. */
  private value<T>(read: (word: string) => T, expected: string): T {
    const word = this.peek();
    if (word === undefined || KEYWORDS.has(word)) this.fail(expected);
    try {
      const result = read(word);
      this.at++;
      return result;
    } catch (err) {
      if (err instanceof Expected) this.fail(err.message);
      throw err;
    }
  }
}
