// JSON parsing with errors a user can act on: "config.json:3:5: invalid JSON: expected ',' or
// '}' after a property value". V8's own messages give a character offset at best, and for some
// mistakes (a misspelt `true`) only an excerpt, so when JSON.parse fails a small scanner walks
// the text again to find the first error and its line and column.

import { HuskError } from '../errors';

/** Parse `text`; on a syntax error throw a HuskError "<source>:<line>:<column>: invalid JSON: <why>". */
export function parseJsonDocument(text: string, source: string): unknown {
  // A UTF-8 byte order mark is not JSON, but editors on some systems add one; it carries no
  // meaning, so skip it rather than fail on an invisible character.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const found = findSyntaxError(body);
    if (found === undefined) throw new HuskError(`${source}: invalid JSON: ${(err as Error).message}`);
    const { line, column } = lineAndColumn(body, found.offset);
    throw new HuskError(`${source}:${line}:${column}: invalid JSON: ${found.reason}`);
  }
}

export interface JsonSyntaxError {
  /** Offset of the offending character (text length for an early end). */
  offset: number;
  reason: string;
}

/** 1-based line and column of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class SyntaxFound extends Error {
  constructor(readonly offset: number, readonly reason: string) {
    super(reason);
  }
}

/** The first syntax error in `text` (RFC 8259), or undefined if it is valid JSON. */
export function findSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new JsonScanner(text);
  try {
    scanner.document();
    return undefined;
  } catch (err) {
    if (err instanceof SyntaxFound) return { offset: err.offset, reason: err.reason };
    throw err;
  }
}

/** Deeper nesting is reported as such (no config comes near it). */
const MAX_NESTING = 1000;
const NUMBER_PATTERN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Recursive-descent recogniser; it only finds errors, JSON.parse builds the value. */
class JsonScanner {
  private position = 0;
  /** Arrays and objects open around the current position. */
  private depth = 0;

  constructor(private readonly text: string) {}

  document(): void {
    this.skipWhitespace();
    this.value('a JSON value');
    this.skipWhitespace();
    if (this.position < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
  }

  private value(expected: string): void {
    const char = this.text[this.position];
    if (char === '{' || char === '[') {
      // The scanner recurses; past this depth it would overflow the stack (an internal error)
      // before reaching the mistake, so it stops and says where the nesting got absurd.
      if (this.depth >= MAX_NESTING) this.fail(`arrays and objects nested more than ${MAX_NESTING} deep`);
      this.depth++;
      if (char === '{') this.object();
      else this.array();
      this.depth--;
      return;
    }
    if (char === '"') return this.string();
    if (char === '-' || (char >= '0' && char <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.position)) {
        this.position += literal.length;
        return;
      }
    }
    this.fail(`expected ${expected}, found ${this.describeHere()}`);
  }

  private object(): void {
    this.position++; // {
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return;
    }
    for (;;) {
      if (this.text[this.position] !== '"') this.fail(`expected a double-quoted property name, found ${this.describeHere()}`);
      this.string();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.fail(`expected ':' after a property name, found ${this.describeHere()}`);
      this.position++;
      this.skipWhitespace();
      this.value('a value after \':\'');
      this.skipWhitespace();
      const next = this.text[this.position];
      if (next === '}') {
        this.position++;
        return;
      }
      if (next !== ',') this.fail(`expected ',' or '}' after a property value, found ${this.describeHere()}`);
      this.position++;
      this.skipWhitespace();
    }
  }

  private array(): void {
    this.position++; // [
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return;
    }
    for (;;) {
      this.value('a value');
      this.skipWhitespace();
      const next = this.text[this.position];
      if (next === ']') {
        this.position++;
        return;
      }
      if (next !== ',') this.fail(`expected ',' or ']' after an array element, found ${this.describeHere()}`);
      this.position++;
      this.skipWhitespace();
    }
  }

  private string(): void {
    const start = this.position;
    this.position++; // opening quote
    for (;;) {
      if (this.position >= this.text.length) this.fail('unterminated string', start);
      const char = this.text[this.position];
      if (char === '"') {
        this.position++;
        return;
      }
      if (char < ' ') this.fail('control character in a string; write it as an escape such as \\n');
      if (char === '\\') this.escape();
      else this.position++;
    }
  }

  private escape(): void {
    const next = this.text[this.position + 1];
    if (SIMPLE_ESCAPES.has(next)) {
      this.position += 2;
    } else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.position + 2, this.position + 6))) {
      this.position += 6;
    } else {
      this.fail('invalid escape sequence in a string');
    }
  }

  private number(): void {
    const start = this.position;
    NUMBER_PATTERN.lastIndex = start;
    const match = NUMBER_PATTERN.exec(this.text);
    if (!match) this.fail('invalid number', start);
    this.position += match[0].length;
    // "01", "1.", "1e" and "12abc" stop the pattern early; the whole token is the problem.
    const next = this.text[this.position];
    if (next !== undefined && /[0-9A-Za-z.+-]/.test(next)) this.fail('invalid number', start);
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length && WHITESPACE.has(this.text[this.position])) this.position++;
  }

  private describeHere(): string {
    if (this.position >= this.text.length) return 'the end of the file';
    const char = this.text[this.position];
    return char === "'" ? `"'"` : `'${char}'`;
  }

  private fail(reason: string, offset = this.position): never {
    throw new SyntaxFound(offset, reason);
  }
}
