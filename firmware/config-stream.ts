// A configuration document read as it arrives (a `config import` pasted line by line): the
// text is split into its elements (each top-level setting, each plan, account and meter) and
// each element is parsed on its own and handed to a ConfigBuilder, so the whole document is
// never in the heap, only the element being read.
import { ConfigBuilder } from './config';

/** Longest element (one account, one plan, ...) taken, in characters. */
export const ELEMENT_MAX = 4000;

// Where the reader is.
const START = 0; // before the document's '{'
const KEY = 1; // inside the document, before a key
const COLON = 2; // after a key
const OPEN = 3; // after "plans": / "accounts": / "meters":, before its bracket
const ELEMENT = 4; // inside a section, before an element (or a plan's name)
const PLAN_COLON = 5; // after a plan's name
const VALUE = 6; // capturing a value
const DONE = 7; // after the document's '}'

/** Reads a configuration document piece by piece into a builder. */
export class ConfigReader {
  private state = START;
  /** The string being read (a key), or the value being captured. */
  private buf = '';
  private inKey = false;
  private key = '';
  private plan = '';
  private section = '';
  private index = 0;
  /** Capture: nesting depth, inside a string, after a backslash in one. */
  private depth = 0;
  private str = false;
  private esc = false;
  private error: string | null = null;

  constructor(private b: ConfigBuilder) {}

  private where(): string {
    if (this.section === 'plans') return 'plans.' + this.plan;
    if (this.section) return this.section + '[' + this.index + ']';
    return this.key || 'config';
  }

  private fail(msg: string): void {
    if (!this.error) this.error = msg;
  }

  /** A whole value was captured: parse it and hand it on. */
  private value(): void {
    let v: unknown;
    try {
      v = JSON.parse(this.buf);
    } catch (e) {
      return this.fail(this.where() + ': not valid JSON (' + this.buf.substr(0, 40) + (this.buf.length > 40 ? '...' : '') + ')');
    }
    this.buf = '';
    let e: string | null;
    if (this.section === 'plans') e = this.b.plan(this.plan, v);
    else if (this.section === 'accounts') e = this.b.account(v);
    else if (this.section === 'meters') e = this.b.meter(v);
    else e = this.b.top(this.key, v);
    if (e) return this.fail(e);
    if (this.section) {
      this.index++;
      this.state = ELEMENT;
    } else this.state = KEY;
  }

  /** Feeds the next piece of text; the first error, or null. */
  feed(text: string): string | null {
    for (let i = 0; i < text.length && !this.error; i++) this.char(text.charAt(i));
    return this.error;
  }

  private char(c: string): void {
    const s = this.state;
    if (s === VALUE) return this.capture(c);
    if (this.inKey) {
      if (this.esc) this.esc = false;
      else if (c === '\\') this.esc = true;
      else if (c === '"') {
        this.inKey = false;
        if (s === KEY) {
          this.key = this.buf;
          this.state = COLON;
        } else {
          this.plan = this.buf;
          this.state = PLAN_COLON;
        }
        this.buf = '';
        return;
      }
      this.buf += c;
      if (this.buf.length > 64) this.fail('a key longer than 64 characters');
      return;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') return;
    if (s === START) {
      if (c === '{') this.state = KEY;
      else this.fail('config: expected an object, starting with {');
    } else if (s === KEY) {
      if (c === ',') return;
      if (c === '}') this.state = DONE;
      else if (c === '"') {
        this.inKey = true;
        this.section = '';
      } else this.fail((this.key || 'config') + ': expected a "key"');
    } else if (s === COLON) {
      if (c !== ':') return this.fail(this.key + ': expected ":"');
      const k = this.key;
      if (k === 'plans' || k === 'accounts' || k === 'meters') {
        this.b.saw(k);
        this.state = OPEN;
      } else this.begin();
    } else if (s === OPEN) {
      const want = this.key === 'plans' ? '{' : '[';
      if (c !== want) return this.fail(this.key + (want === '{' ? ': expected an object' : ': expected a list'));
      this.section = this.key;
      this.index = 0;
      this.state = ELEMENT;
    } else if (s === ELEMENT) {
      if (c === ',') return;
      if (c === (this.section === 'plans' ? '}' : ']')) {
        this.section = '';
        this.state = KEY;
      } else if (this.section === 'plans') {
        if (c === '"') this.inKey = true;
        else this.fail('plans: expected a "plan name"');
      } else {
        this.begin();
        this.capture(c);
      }
    } else if (s === PLAN_COLON) {
      if (c === ':') this.begin();
      else this.fail('plans.' + this.plan + ': expected ":"');
    } else if (s === DONE) this.fail('text after the end of the configuration');
  }

  private begin(): void {
    this.state = VALUE;
    this.buf = '';
    this.depth = 0;
    this.str = false;
    this.esc = false;
  }

  // A value ends when its brackets close, or (a number, true, ...) at the next , } or ].
  private capture(c: string): void {
    if (this.str) {
      this.buf += c;
      if (this.esc) this.esc = false;
      else if (c === '\\') this.esc = true;
      else if (c === '"') this.str = false;
    } else if ((c === ',' || c === '}' || c === ']') && this.depth === 0) {
      if (this.buf === '') return this.fail(this.where() + ': a value is missing');
      this.value();
      if (!this.error) this.char(c);
      return;
    } else {
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        if (this.buf === '') return;
      }
      this.buf += c;
      if (c === '"') this.str = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) this.value();
      }
    }
    if (this.buf.length > ELEMENT_MAX) this.fail(this.where() + ': longer than ' + ELEMENT_MAX + ' characters');
  }

  /** The document has ended: an error, or null when it was whole. */
  end(): string | null {
    if (this.error) return this.error;
    if (this.state !== DONE) return 'the configuration ends before its closing }';
    return null;
  }
}
