// Espruino compatibility check for a bundle: what Node accepts but the board's interpreter
// does not (see ESPRUINO.md). Four passes, each finding one line:
//   syntax   - anything above ES5, plus labels (ES5 but unsupported)
//   builtin  - built-ins the board lacks, Math.pow exponents it gets wrong, array holes
//   order    - a name read at load time before its declaration ran (Espruino does not hoist)
//   boot     - the bundle run in a node:vm context stripped of what Espruino lacks, with
//              function/var declarations turned into TDZ bindings so that nothing is hoisted,
//              the board APIs stubbed; it must print a line starting with "STATUS ".
//   ts-node tools/espruino-check.ts dist/pico/firmware.js [--no-boot]
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import * as zlib from 'zlib';
import { modulesText } from './image';
import { TIDIED } from '../hal/espruino/tidied';

/** One problem found in a bundle. */
export interface Finding {
  kind: 'syntax' | 'builtin' | 'order' | 'boot' | 'image';
  line: number;
  column: number;
  message: string;
}

type Node = acorn.Node & { [k: string]: any };

/** "file:line:col kind: message", the one-line form the build prints. */
export function formatFinding(f: Finding, file = 'bundle'): string {
  return file + ':' + f.line + ':' + f.column + ' ' + f.kind + ': ' + f.message;
}

function lineCol(code: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = code.indexOf('\n'); i >= 0 && i < pos; i = code.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: pos - start + 1 };
}

/** A short excerpt around pos, so a finding in a one-line minified bundle is recognisable. */
function near(code: string, node: { start: number; end: number }): string {
  const text = code.slice(node.start, Math.min(node.end, node.start + 40)).replace(/\s+/g, ' ');
  return ' [' + text + (node.end - node.start > 40 ? '...' : '') + ']';
}

function finding(kind: Finding['kind'], code: string, node: { start: number; end: number }, message: string): Finding {
  const lc = lineCol(code, node.start);
  return { kind, line: lc.line, column: lc.column, message: message + near(code, node) };
}

// ---------------------------------------------------------------- (a) syntax

/** Parses as the newest ECMAScript and names every construct above ES5; null if unparseable. */
export function checkSyntax(code: string): { ast: Node | null; findings: Finding[] } {
  const out: Finding[] = [];
  let ast: Node;
  try {
    ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: false }) as Node;
  } catch (e) {
    const err = e as SyntaxError & { pos?: number };
    const lc = lineCol(code, err.pos || 0);
    out.push({ kind: 'syntax', line: lc.line, column: lc.column, message: 'does not parse: ' + err.message });
    return { ast: null, findings: out };
  }
  const add = (n: Node, what: string) => out.push(finding('syntax', code, n, what));
  walk.full(ast, (node) => {
    const n = node as Node;
    switch (n.type) {
      case 'VariableDeclaration':
        if (n.kind !== 'var') add(n, '`' + n.kind + '` declaration (ES2015): Espruino has no block scope or per-iteration binding; compile to ES5 `var`');
        break;
      case 'ArrowFunctionExpression':
        add(n, 'arrow function (ES2015): compile to ES5 `function`');
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        add(n, '`class` syntax (ES2015): native super calls recurse on Espruino; compile to ES5 with the Espruino-safe __extends');
        break;
      case 'TemplateLiteral':
        add(n, 'template literal (ES2015): compile to string concatenation');
        break;
      case 'TaggedTemplateExpression':
        add(n, 'tagged template (ES2015): not supported by Espruino');
        break;
      case 'SpreadElement':
        add(n, 'spread `...` (ES2015): not supported by Espruino');
        break;
      case 'RestElement':
        add(n, 'rest parameter/element `...` (ES2015): not supported by Espruino');
        break;
      case 'AssignmentPattern':
        add(n, 'default value in a parameter or destructuring (ES2015): not supported by Espruino');
        break;
      case 'ObjectPattern':
      case 'ArrayPattern':
        add(n, 'destructuring (ES2015): not supported by Espruino');
        break;
      case 'ForOfStatement':
        add(n, '`for...of` (ES2015): compile to an index loop');
        break;
      case 'AwaitExpression':
        add(n, '`await` (ES2017): not supported by Espruino');
        break;
      case 'YieldExpression':
        add(n, '`yield` (ES2015 generator): not supported by Espruino');
        break;
      case 'ChainExpression':
        add(n, 'optional chaining `?.` (ES2020): not supported by Espruino');
        break;
      case 'MetaProperty':
        add(n, '`new.target`/`import.meta` (ES2015+): not supported by Espruino');
        break;
      case 'ImportExpression':
      case 'ImportDeclaration':
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration':
        add(n, 'ES module syntax: the bundle must be plain statements');
        break;
      case 'LabeledStatement':
        add(n, 'label `' + n.label.name + ':` : Espruino does not support labels');
        break;
      case 'BinaryExpression':
        if (n.operator === '**') add(n, '`**` (ES2016): not supported, and Math.pow is inexact on Espruino; use multiplication or shifts');
        break;
      case 'LogicalExpression':
        if (n.operator === '??') add(n, '`??` (ES2020): compile to ES5');
        break;
      case 'AssignmentExpression':
        if (n.operator === '**=' || n.operator === '||=' || n.operator === '&&=' || n.operator === '??=')
          add(n, '`' + n.operator + '` (ES2016+): not supported by Espruino');
        break;
      case 'Property':
        if (n.computed) add(n, 'computed property key `[k]:` (ES2015): not supported by Espruino');
        else if (n.shorthand) add(n, 'shorthand property (ES2015): write `k: k`');
        else if (n.method) add(n, 'method shorthand (ES2015): write `k: function () {}`');
        break;
      case 'PropertyDefinition':
      case 'StaticBlock':
      case 'PrivateIdentifier':
        add(n, 'class field/static block (ES2022): not supported by Espruino');
        break;
      case 'CatchClause':
        if (!n.param) add(n, 'catch without a binding (ES2019): write `catch (e)`');
        break;
      case 'Literal':
        if (typeof n.bigint === 'string') add(n, 'BigInt literal (ES2020): not supported by Espruino');
        else if (n.regex && /[^gim]/.test(n.regex.flags)) add(n, 'regular expression flag `' + n.regex.flags + '` (ES2015+): Espruino knows g, i, m');
        else if (typeof n.value === 'number' && /_/.test(n.raw)) add(n, 'numeric separator (ES2021): not supported by Espruino');
        else if (typeof n.value === 'number' && /^0[bBoO]/.test(n.raw)) add(n, 'binary/octal literal (ES2015): write it in hex');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
        if (n.generator) add(n, 'generator function (ES2015): not supported by Espruino');
        if (n.async) add(n, '`async` function (ES2017): not supported by Espruino');
        break;
    }
  });
  out.push(...checkStringStatements(code, ast));
  out.push(...checkBareReturns(code, ast));
  out.push(...checkRegExps(code, ast));
  // Anything our list missed still has to parse as ES5.
  if (out.length === 0) {
    try {
      acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' });
    } catch (e) {
      const err = e as SyntaxError & { pos?: number };
      const lc = lineCol(code, err.pos || 0);
      out.push({ kind: 'syntax', line: lc.line, column: lc.column, message: 'not ES5: ' + err.message });
    }
  }
  return { ast, findings: out };
}

/** The leftmost token of an expression, when it is a string literal (`"a"==x||f()`). */
export function leadingString(e: Node): Node | null {
  for (let n: Node | null = e; n; ) {
    if (n.type === 'Literal') return typeof n.value === 'string' ? n : null;
    if (n.type === 'BinaryExpression' || n.type === 'LogicalExpression' || n.type === 'AssignmentExpression') n = n.left;
    else if (n.type === 'ConditionalExpression') n = n.test;
    else if (n.type === 'MemberExpression') n = n.object;
    else if (n.type === 'CallExpression' || n.type === 'TaggedTemplateExpression') n = n.callee || n.tag;
    else if (n.type === 'SequenceExpression') n = n.expressions[0];
    else if (n.type === 'UpdateExpression' && !n.prefix) n = n.argument;
    else return null;
  }
  return null;
}

/** Espruino (measured on its 2v29 Linux build) misreads a statement that begins with a string
 *  literal when it follows an `if` without `else` or a `try` block: `if(a){...}"number"==typeof
 *  e||f()` calls f. Terser writes such statements (it puts the constant first); the build
 *  wraps them in parentheses. */
export function checkStringStatements(code: string, ast: Node): Finding[] {
  const out: Finding[] = [];
  const lists = (n: Node): Node[][] => {
    if (n.type === 'Program' || n.type === 'BlockStatement') return [n.body];
    if (n.type === 'SwitchStatement') return n.cases.map((c: Node) => c.consequent);
    return [];
  };
  walk.full(ast, (node) => {
    for (const list of lists(node as Node)) {
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1];
        const s = list[i];
        const afterBlock = (prev.type === 'IfStatement' && !prev.alternate && prev.consequent.type === 'BlockStatement') || prev.type === 'TryStatement';
        if (afterBlock && s.type === 'ExpressionStatement' && !s.directive && leadingString(s.expression) && code[prev.end - 1] === '}')
          out.push(finding('syntax', code, s, 'statement begins with a string literal right after a block: Espruino misreads it; wrap it in parentheses'));
      }
    }
  });
  return out;
}

/** Espruino (2v29) parses a function body without its closing brace, so a bare `return` as
 *  the body's last token (`function f(t){if(t)return}`) is "Unexpected end of Input" when the
 *  function runs. Terser writes that form; the build adds the `;`. */
export function checkBareReturns(code: string, ast: Node): Finding[] {
  const out: Finding[] = [];
  walk.full(ast, (node) => {
    const n = node as Node;
    // Espruino applies no automatic semicolon after `return`: a `return` at the end of a line
    // returns the next line's expression (running it), and right before `}` it is a syntax error.
    if (n.type === 'ReturnStatement' && !n.argument && code[n.end - 1] !== ';') out.push(finding('syntax', code, n, 'bare `return` without `;`: Espruino reads on into the next statement or past the end of the function; write `return;`'));
    // `for(function(){..}(),i=0;..)`: Espruino reads a function declaration, which needs a name
    // (2v29: "Got '(' expected ID").
    const i = n.type === 'ForStatement' ? (n.init as Node) : null;
    if (i && i.type !== 'VariableDeclaration' && /^for\s*\($/.test(code.slice(n.start, i.start)) && /^function\b/.test(code.slice(i.start))) out.push(finding('syntax', code, i, 'a `for` whose first part begins with a function expression: Espruino reads a declaration without a name; bracket it'));
  });
  return out;
}

/** Espruino's RegExp (2v29, measured) has no `?` quantifier, no `{n,m}` and no `(?:`: such a
 *  pattern silently fails to match on the board ('/ab?c/.test("abc")' is false). */
export function checkRegExps(code: string, ast: Node): Finding[] {
  const out: Finding[] = [];
  walk.full(ast, (node) => {
    const n = node as Node;
    if (n.type === 'Literal' && n.regex && /(^|[^\\])[?{]/.test(n.regex.pattern)) out.push(finding('builtin', code, n, 'regular expression uses ?, {n,m} or (?: which Espruino\'s RegExp does not support: parse by hand'));
  });
  return out;
}

// ---------------------------------------------------------------- (b) built-ins

const MISSING_GLOBALS = ['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'Intl'];

const MISSING_STATICS: { [obj: string]: string[] } = {
  Math: ['imul', 'clz32', 'trunc', 'log2'],
  Array: ['from', 'of'],
  Object: ['freeze', 'seal', 'is'],
  Number: ['isInteger', 'MAX_SAFE_INTEGER', 'EPSILON'],
  Date: ['UTC'],
  Promise: ['race', 'any', 'allSettled'],
  JSON: [],
};

/** Methods missing on Espruino whatever the receiver; flagged only where called. */
const MISSING_METHODS = ['lastIndexOf', 'reduceRight', 'flat', 'flatMap', 'at', 'finally', 'trimStart', 'trimEnd', 'codePointAt'];

function propName(m: Node): string | null {
  if (!m.computed && m.property.type === 'Identifier') return m.property.name;
  if (m.computed && m.property.type === 'Literal' && typeof m.property.value === 'string') return m.property.value;
  return null;
}

/** Every name the program declares itself (so a local `Set` is not the missing built-in). */
function declaredNames(ast: Node): { [name: string]: true } {
  const names: { [name: string]: true } = {};
  walk.full(ast, (node) => {
    const n = node as Node;
    if ((n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression') && n.id) names[n.id.name] = true;
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression')
      for (const p of n.params) if (p.type === 'Identifier') names[p.name] = true;
    if (n.type === 'VariableDeclarator' && n.id.type === 'Identifier') names[n.id.name] = true;
    if (n.type === 'CatchClause' && n.param && n.param.type === 'Identifier') names[n.param.name] = true;
  });
  return names;
}

/** The built-in objects the board deletes from the root between its turns (firmware/main.ts). */
const TIDY = TIDIED.split(' ');

/** Whether identifier n (a built-in's name) is only named where it is used: made or called
 *  (`new X()`, `X()`), read from (`X.y`), tested (`instanceof X`, `typeof X`), or is a member's
 *  or key's name. */
function namedOnly(n: Node, parent: Node | undefined): boolean {
  if (!parent) return false;
  if ((parent.type === 'NewExpression' || parent.type === 'CallExpression') && parent.callee === n) return true;
  if (parent.type === 'MemberExpression' && (parent.object === n || (parent.property === n && !parent.computed))) return true;
  if (parent.type === 'BinaryExpression' && parent.operator === 'instanceof' && parent.right === n) return true;
  if (parent.type === 'UnaryExpression' && parent.operator === 'typeof') return true;
  return parent.type === 'Property' && parent.key === n && !parent.computed;
}

/** Built-ins the board lacks, exponents Math.pow gets wrong, holes the parser chokes on, and a
 *  built-in the board deletes between its turns kept as a value. */
export function checkBuiltins(code: string, ast: Node): Finding[] {
  const out: Finding[] = [];
  const own = declaredNames(ast);
  const add = (n: Node, what: string) => out.push(finding('builtin', code, n, what));
  walk.ancestor(ast, {
    Identifier(node, _state, ancestors) {
      const n = node as Node;
      const parent = ancestors[ancestors.length - 2] as Node | undefined;
      if (TIDY.indexOf(n.name) >= 0 && !own[n.name] && !namedOnly(n, parent)) add(n, n.name + ' kept as a value: the board deletes it from the root between its turns (hal/espruino/tidied.ts), and instanceof does not match a copy kept elsewhere');
      if (MISSING_GLOBALS.indexOf(n.name) < 0 || own[n.name]) return;
      if (parent && parent.type === 'MemberExpression' && parent.property === n && !parent.computed) return;
      if (parent && parent.type === 'Property' && parent.key === n && !parent.computed) return;
      if (parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof') return;
      add(n, n.name + ' is missing on Espruino: use plain objects, arrays or typed arrays');
    },
    MemberExpression(node, _state, ancestors) {
      const n = node as Node;
      const name = propName(n);
      if (name === null) return;
      if (n.object.type === 'Identifier' && !own[n.object.name]) {
        const list = MISSING_STATICS[n.object.name];
        if (list && list.indexOf(name) >= 0) {
          add(n, n.object.name + '.' + name + ' is missing on Espruino');
          return;
        }
      }
      if (/^setUTC/.test(name) || /^toLocale/.test(name)) {
        add(n, '.' + name + ' is missing on Espruino');
        return;
      }
      const parent = ancestors[ancestors.length - 2] as Node | undefined;
      const called = parent && parent.type === 'CallExpression' && parent.callee === n;
      if (called && MISSING_METHODS.indexOf(name) >= 0) add(n, '.' + name + '() is missing on Espruino');
    },
    CallExpression(node) {
      const n = node as Node;
      const c = n.callee;
      if (c.type !== 'MemberExpression' || c.object.type !== 'Identifier' || own[c.object.name]) return;
      const obj = c.object.name;
      const name = propName(c);
      if (obj === 'Math' && name === 'pow' && n.arguments.length > 1) {
        const e = n.arguments[1];
        const v = e.type === 'Literal' ? e.value : e.type === 'UnaryExpression' && e.operator === '-' && e.argument.type === 'Literal' ? -e.argument.value : null;
        if (typeof v === 'number' && Math.abs(v) >= 10) add(n, 'Math.pow with exponent ' + v + ' is inexact on Espruino: use multiplication or shifts');
      }
      const isNullish = (a: Node) => (a.type === 'Literal' && a.value === null) || (a.type === 'Identifier' && a.name === 'undefined') || (a.type === 'UnaryExpression' && a.operator === 'void');
      if (obj === 'JSON' && name === 'stringify' && n.arguments.length > 1 && !isNullish(n.arguments[1]))
        add(n, 'JSON.stringify replacer is ignored on Espruino');
      if (obj === 'JSON' && name === 'parse' && n.arguments.length > 1) add(n, 'JSON.parse reviver is ignored on Espruino');
    },
    ArrayExpression(node) {
      const n = node as Node;
      if (n.elements.some((e: Node | null) => e === null)) add(n, 'array literal with a hole: a SyntaxError in Espruino when the code is not executed');
    },
  });
  return out;
}

// ---------------------------------------------------------------- (c) use before declaration

interface Binding {
  name: string;
  declared: boolean;
  decl: Node;
  /** The function this name holds, when known (declaration, function expression, class IIFE). */
  fn?: FnValue;
}

interface FnValue {
  node: Node;
  scope: Scope;
}

class Scope {
  bindings: { [name: string]: Binding } = Object.create(null);
  constructor(readonly parent: Scope | null) {}
  lookup(name: string): Binding | null {
    for (let s: Scope | null = this; s; s = s.parent) if (s.bindings[name]) return s.bindings[name];
    return null;
  }
}

/** Declarations of a function body or program: `var`s anywhere and function declarations, not inside nested functions. */
function collectDeclarations(body: Node[], scope: Scope): void {
  const visit = (n: Node | null): void => {
    if (!n || typeof n.type !== 'string') return;
    if (n.type === 'FunctionDeclaration') {
      if (!scope.bindings[n.id.name]) scope.bindings[n.id.name] = { name: n.id.name, declared: false, decl: n };
      return;
    }
    if (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') return;
    if (n.type === 'VariableDeclaration') {
      for (const d of n.declarations) if (d.id.type === 'Identifier' && !scope.bindings[d.id.name]) scope.bindings[d.id.name] = { name: d.id.name, declared: false, decl: d };
    }
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c === 'object' && visit(c));
      else if (v && typeof v === 'object' && typeof v.type === 'string' && k !== 'loc') visit(v);
    }
  };
  body.forEach(visit);
}

/** Walks what runs at load time, following calls into known functions, and reports reads of
 *  names whose declaration has not run yet. Calls through objects (methods) are not followed:
 *  the boot pass covers those. */
class OrderChecker {
  findings: Finding[] = [];
  private invoked = new Set<Node>();
  private active = new Set<Node>();
  private reported = new Set<number>();
  private returns: (FnValue | undefined)[] = [];

  constructor(private code: string) {}

  run(ast: Node): Finding[] {
    const scope = new Scope(null);
    collectDeclarations(ast.body, scope);
    this.stmts(ast.body, scope);
    return this.findings;
  }

  private report(n: Node, b: Binding): void {
    if (this.reported.has(n.start)) return;
    this.reported.add(n.start);
    const at = lineCol(this.code, b.decl.start);
    const what = b.decl.type === 'FunctionDeclaration' ? 'function' : 'variable';
    this.findings.push(
      finding('order', this.code, n, '`' + n.name + '` is used at load time before its ' + what + ' declaration at ' + at.line + ':' + at.column + ' runs (Espruino does not hoist)')
    );
  }

  private invoke(f: FnValue | undefined, args: Node[], scope: Scope): FnValue | undefined {
    if (!f || this.active.has(f.node) || this.invoked.has(f.node)) return undefined;
    this.invoked.add(f.node);
    this.active.add(f.node);
    const s = new Scope(f.scope);
    const fn = f.node;
    if (fn.id && fn.type === 'FunctionExpression') s.bindings[fn.id.name] = { name: fn.id.name, declared: true, decl: fn, fn: f };
    fn.params.forEach((p: Node, i: number) => {
      if (p.type !== 'Identifier') return;
      const arg = args[i] ? this.valueOf(args[i], scope) : undefined;
      s.bindings[p.name] = { name: p.name, declared: true, decl: p, fn: arg };
    });
    collectDeclarations(fn.body.body, s);
    this.returns.push(undefined);
    this.stmts(fn.body.body, s);
    this.active.delete(f.node);
    return this.returns.pop();
  }

  /** The function an expression evaluates to, without evaluating it again. */
  private valueOf(n: Node, scope: Scope): FnValue | undefined {
    if (n.type === 'FunctionExpression') return { node: n, scope };
    if (n.type === 'Identifier') {
      const b = scope.lookup(n.name);
      return b ? b.fn : undefined;
    }
    return undefined;
  }

  private declare(name: string, scope: Scope, fn?: FnValue): void {
    const b = scope.lookup(name);
    if (!b) return;
    b.declared = true;
    if (fn) b.fn = fn;
  }

  private stmts(list: Node[], scope: Scope): void {
    for (const s of list) this.stmt(s, scope);
  }

  private stmt(n: Node | null, scope: Scope): void {
    if (!n) return;
    switch (n.type) {
      case 'FunctionDeclaration':
        this.declare(n.id.name, scope, { node: n, scope });
        return;
      case 'VariableDeclaration':
        for (const d of n.declarations) {
          const v = d.init ? this.expr(d.init, scope) : undefined;
          if (d.id.type === 'Identifier') this.declare(d.id.name, scope, v);
        }
        return;
      case 'ReturnStatement': {
        const v = n.argument ? this.expr(n.argument, scope) : undefined;
        if (this.returns.length && this.returns[this.returns.length - 1] === undefined) this.returns[this.returns.length - 1] = v;
        return;
      }
      case 'BlockStatement':
        this.stmts(n.body, scope);
        return;
      case 'SwitchStatement':
        this.expr(n.discriminant, scope);
        for (const c of n.cases) {
          this.expr(c.test, scope);
          this.stmts(c.consequent, scope);
        }
        return;
      case 'ForInStatement':
        if (n.left.type === 'VariableDeclaration') this.stmt(n.left, scope);
        else this.expr(n.left, scope);
        this.expr(n.right, scope);
        this.stmt(n.body, scope);
        return;
      case 'TryStatement': {
        this.stmt(n.block, scope);
        if (n.handler) {
          const c = new Scope(scope);
          if (n.handler.param && n.handler.param.type === 'Identifier')
            c.bindings[n.handler.param.name] = { name: n.handler.param.name, declared: true, decl: n.handler.param };
          this.stmt(n.handler.body, c);
        }
        this.stmt(n.finalizer, scope);
        return;
      }
      default:
        this.children(n, scope);
    }
  }

  /** Statements and expressions inside n, in source order. */
  private children(n: Node, scope: Scope): void {
    for (const k of Object.keys(n)) {
      if (k === 'loc' || k === 'type') continue;
      const v = n[k];
      const one = (c: Node) => {
        if (!c || typeof c.type !== 'string') return;
        if (/Statement$|Declaration$/.test(c.type)) this.stmt(c, scope);
        else this.expr(c, scope);
      };
      if (Array.isArray(v)) v.forEach(one);
      else if (v && typeof v === 'object') one(v);
    }
  }

  private expr(n: Node | null, scope: Scope): FnValue | undefined {
    if (!n) return undefined;
    switch (n.type) {
      case 'Identifier': {
        const b = scope.lookup(n.name);
        if (b && !b.declared) this.report(n, b);
        return b ? b.fn : undefined;
      }
      case 'FunctionExpression':
        return { node: n, scope };
      case 'UnaryExpression':
        if (n.operator === 'typeof' && n.argument.type === 'Identifier') return undefined;
        this.expr(n.argument, scope);
        return undefined;
      case 'MemberExpression':
        this.expr(n.object, scope);
        if (n.computed) this.expr(n.property, scope);
        return undefined;
      case 'Property':
        if (n.computed) this.expr(n.key, scope);
        this.expr(n.value, scope);
        return undefined;
      case 'AssignmentExpression': {
        const v = this.expr(n.right, scope);
        if (n.left.type === 'Identifier') {
          const b = scope.lookup(n.left.name);
          if (b && v) b.fn = v;
          if (n.operator !== '=' && b && !b.declared) this.report(n.left, b);
        } else this.expr(n.left, scope);
        return v;
      }
      case 'SequenceExpression': {
        let v: FnValue | undefined;
        for (const e of n.expressions) v = this.expr(e, scope);
        return v;
      }
      case 'CallExpression':
      case 'NewExpression': {
        const callee = n.callee;
        let target = this.expr(callee, scope);
        for (const a of n.arguments) this.expr(a, scope);
        // f.call(this, ...) and f.apply(...) run f now.
        if (!target && callee.type === 'MemberExpression' && (propName(callee) === 'call' || propName(callee) === 'apply')) {
          const inner = this.valueOf(callee.object, scope);
          if (inner) return this.invoke(inner, propName(callee) === 'call' ? n.arguments.slice(1) : [], scope);
        }
        if (callee.type === 'MemberExpression') target = undefined;
        return this.invoke(target, n.arguments, scope);
      }
      default:
        this.children(n, scope);
        return undefined;
    }
  }
}

/** Reads of functions and variables at load time before their declaration ran. */
export function checkOrder(code: string, ast: Node): Finding[] {
  return new OrderChecker(code).run(ast);
}

// ---------------------------------------------------------------- (d) boot without hoisting

/** Rewrites function declarations and body-level `var`s into `let` bindings in place, so that
 *  Node, like Espruino, fails when a name is read before its declaration ran. */
export function withoutHoisting(code: string, ast: Node): string {
  // rank: at one position a closing ';' (rank 1) must end up before an opening 'let' (rank 0).
  const edits: { pos: number; del: number; text: string; rank: number }[] = [];
  const scopeBody = (body: Node[], params: Node[]) => {
    const count: { [name: string]: number } = Object.create(null);
    for (const p of params) if (p.type === 'Identifier') count[p.name] = 2; // never rebind a parameter
    const tmp = new Scope(null);
    collectDeclarations(body, tmp);
    // count all declarations (collectDeclarations keeps the first of each name)
    const countDecl = (n: Node | null): void => {
      if (!n || typeof n.type !== 'string') return;
      if (n.type === 'FunctionDeclaration') {
        count[n.id.name] = (count[n.id.name] || 0) + 1;
        return;
      }
      if (n.type === 'FunctionExpression') return;
      if (n.type === 'VariableDeclaration') for (const d of n.declarations) if (d.id.type === 'Identifier') count[d.id.name] = (count[d.id.name] || 0) + 1;
      for (const k of Object.keys(n)) {
        const v = n[k];
        if (Array.isArray(v)) v.forEach((c) => c && typeof c === 'object' && countDecl(c));
        else if (v && typeof v === 'object' && typeof v.type === 'string') countDecl(v);
      }
    };
    body.forEach(countDecl);
    count.arguments = 2;
    for (const s of body) {
      if (s.type === 'FunctionDeclaration' && count[s.id.name] === 1) {
        edits.push({ pos: s.start, del: 0, text: 'let ' + s.id.name + ' = ', rank: 0 });
        edits.push({ pos: s.end, del: 0, text: ';', rank: 1 });
      } else if (s.type === 'VariableDeclaration' && s.kind === 'var' && s.declarations.every((d: Node) => d.id.type === 'Identifier' && count[d.id.name] === 1)) {
        edits.push({ pos: s.start, del: 3, text: 'let', rank: 0 });
      }
    }
  };
  scopeBody(ast.body, []);
  walk.full(ast, (node) => {
    const n = node as Node;
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression') scopeBody(n.body.body, n.params);
  });
  // Applied right to left; at a tie the opening goes in first so the ';' lands before it.
  edits.sort((a, b) => b.pos - a.pos || a.rank - b.rank);
  let out = code;
  for (const e of edits) out = out.slice(0, e.pos) + e.text + out.slice(e.pos + e.del);
  return out;
}

/** Deletes from a fresh context every global and method ESPRUINO.md lists as missing. */
const STRIP = `
(function (g) {
  ['Map','Set','WeakMap','WeakSet','WeakRef','FinalizationRegistry','Symbol','Proxy','Reflect','BigInt','Intl',
   'SharedArrayBuffer','Atomics','AggregateError'].forEach(function (k) { delete g[k]; });
  function del(o, names) { names.forEach(function (k) { delete o[k]; }); }
  del(Math, ['imul','clz32','trunc','log2']);
  del(Array, ['from','of']);
  del(Array.prototype, ['lastIndexOf','reduceRight','flat','flatMap','at','toLocaleString']);
  del(Object, ['freeze','seal','is']);
  del(Number, ['isInteger','MAX_SAFE_INTEGER','EPSILON']);
  del(Number.prototype, ['toLocaleString']);
  del(Date, ['UTC']);
  Object.getOwnPropertyNames(Date.prototype).forEach(function (k) {
    if (/^setUTC|^toLocale/.test(k)) delete Date.prototype[k];
  });
  del(String.prototype, ['trimStart','trimEnd','trimLeft','trimRight','codePointAt','at','toLocaleLowerCase','toLocaleUpperCase','localeCompare']);
  del(Object.prototype, ['toLocaleString']);
  del(Promise, ['race','any','allSettled']);
  del(Promise.prototype, ['finally']);
})(this);
`;

/** What the stripped-context boot saw. */
export interface BootResult {
  ok: boolean;
  /** Everything written to consoles and UARTs, split in lines. */
  lines: string[];
  findings: Finding[];
  /** Board calls seen, for tests: 'Serial2.setup', 'E.enableWatchdog', ... */
  calls: string[];
  /** Types text into the console port's data listener and advances the fake clock. */
  type?: (text: string, ms?: number) => string[];
}

/** Options for a stripped-context boot. */
export interface BootOptions {
  /** Virtual milliseconds to run the timers for after loading (default 30000). */
  runMs?: number;
  /** The firmware's on-demand modules (tools/build.ts bundleModules), as text. */
  modules?: { name: string; code: string; deps?: string[] }[];
}

/** Runs the bundle in a node:vm context that has only what Espruino has, with the board's
 *  globals stubbed, timers faked and hoisting disabled; it must print "STATUS ...". */
export function bootInStrippedContext(code: string, opts: BootOptions = {}): BootResult {
  const lines: string[] = [];
  const calls: string[] = [];
  const findings: Finding[] = [];
  let partial = '';
  const emit = (text: string) => {
    partial += text;
    const parts = partial.split(/\r?\n/);
    partial = parts.pop() as string;
    for (const p of parts) lines.push(p);
  };
  let nowMs = 1000;
  let nextId = 1;
  const timers: { id: number; at: number; fn: () => void; every: number }[] = [];
  const listeners: { [port: string]: ((s: string) => void)[] } = {};
  const pinState: { [pin: string]: number } = {};

  const serial = (name: string) => ({
    setup(baud: number, o?: object) {
      calls.push(name + '.setup ' + baud + ' ' + JSON.stringify(o || {}));
    },
    on(ev: string, fn: (s: string) => void) {
      calls.push(name + '.on ' + ev);
      (listeners[name] = listeners[name] || []).push(fn);
    },
    removeAllListeners(ev: string) {
      calls.push(name + '.removeAllListeners ' + ev);
      listeners[name] = [];
    },
    write(d: unknown) {
      if (typeof d === 'string') emit(d);
      else calls.push(name + '.write ' + Array.prototype.slice.call(d as ArrayLike<number>).join(','));
    },
    print(d: unknown) {
      emit(String(d));
    },
    println(d: unknown) {
      emit(String(d) + '\n');
    },
    setConsole(force?: boolean) {
      calls.push(name + '.setConsole ' + !!force);
    },
  });
  const i2c = (name: string) => ({
    setup(o: object) {
      calls.push(name + '.setup ' + JSON.stringify(o));
    },
    writeTo(addr: number) {
      calls.push(name + '.writeTo ' + addr);
    },
    readFrom(addr: number, n: number) {
      calls.push(name + '.readFrom ' + addr + ' ' + n);
      return new Uint8Array(n);
    },
  });
  function Pin(this: { name: string }, name: string) {
    this.name = name;
  }
  Pin.prototype.toString = function () {
    return this.name;
  };
  const pinName = (p: unknown) => String(p);
  const addTimer = (fn: () => void, ms: number, every: boolean) => {
    const id = nextId++;
    timers.push({ id, at: nowMs + Math.max(0, +ms || 0), fn, every: every ? Math.max(1, +ms || 1) : 0 });
    return id;
  };
  const clearTimer = (id: number) => {
    if (id === undefined) throw new Error('clearTimeout() without an id clears every timer on Espruino');
    const i = timers.findIndex((t) => t.id === id);
    if (i < 0) throw new Error('Unknown Timeout');
    timers.splice(i, 1);
  };
  const sandbox: { [k: string]: unknown } = {
    console: { log: (...a: unknown[]) => emit(a.map(String).join(' ') + '\n') },
    print: (...a: unknown[]) => emit(a.map(String).join(' ') + '\n'),
    getTime: () => nowMs / 1000,
    setTimeout: (fn: () => void, ms: number) => addTimer(fn, ms, false),
    setInterval: (fn: () => void, ms: number) => addTimer(fn, ms, true),
    clearTimeout: clearTimer,
    clearInterval: clearTimer,
    Pin,
    digitalWrite: (p: unknown, v: number | boolean) => {
      pinState[pinName(p)] = v ? 1 : 0;
      calls.push('digitalWrite ' + pinName(p) + ' ' + (v ? 1 : 0));
    },
    digitalRead: (p: unknown) => pinState[pinName(p)] || 0,
    digitalPulse: (p: unknown, v: boolean, ms: number) => calls.push('digitalPulse ' + pinName(p) + ' ' + v + ' ' + ms),
    pinMode: (p: unknown, m: string) => calls.push('pinMode ' + pinName(p) + ' ' + m),
    setWatch: (_fn: unknown, p: unknown, o: object) => {
      calls.push('setWatch ' + pinName(p) + ' ' + JSON.stringify(o));
      return 'w' + nextId++;
    },
    clearWatch: (id: unknown) => {
      if (id === undefined) throw new Error('clearWatch() without an id clears every watch on Espruino');
      calls.push('clearWatch ' + id);
    },
    E: {
      enableWatchdog: (s: number, auto: boolean) => calls.push('E.enableWatchdog ' + s + ' ' + auto),
      kickWatchdog: () => calls.push('E.kickWatchdog'),
      getErrorFlags: () => [],
      on: (ev: string) => calls.push('E.on ' + ev),
      reboot: () => calls.push('E.reboot'),
      setConsole: () => calls.push('E.setConsole'),
      // The firmware's CRC-32 on the board (hal/espruino/crc32.ts): the EEPROM's batches must check.
      CRC32: (d: unknown) => zlib.crc32(typeof d === 'string' ? Buffer.from(d, 'latin1') : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d as number[])),
      toUint8Array: (s: string) => Uint8Array.from(Array.from(s, (c) => c.charCodeAt(0))),
    },
    process: { memory: () => ({ free: 4000, usage: 1100, total: 5100 }), env: { VERSION: '2v25' } },
    USB: serial('USB'),
    LoopbackA: serial('LoopbackA'),
    LoopbackB: serial('LoopbackB'),
  };
  // What the loader (.bootcde) defines: where each module lies and how to read it. Here a
  // module is its text, without hoisting like the bundle.
  const modTexts: string[] = [];
  const modPlaces: { [name: string]: number[] } = {};
  for (const m of opts.modules || []) {
    const parsed = checkSyntax(m.code);
    modPlaces[m.name] = [1, modTexts.length, m.code.length];
    modTexts.push(parsed.ast ? withoutHoisting(m.code, parsed.ast) : m.code);
  }
  const deps: { [name: string]: string[] } = {};
  for (const m of opts.modules || []) if (m.deps) deps[m.name] = m.deps;
  sandbox.MODULES = modulesText(modPlaces, deps);
  sandbox.__piece = (w: number, o: number) => {
    if (w !== 1 || modTexts[o] === undefined) throw new Error('__piece: no module at ' + w + ',' + o);
    return modTexts[o];
  };
  for (const n of ['Serial1', 'Serial2', 'Serial3', 'Serial4', 'Serial6']) sandbox[n] = serial(n);
  for (const n of ['I2C1', 'I2C2', 'I2C3']) sandbox[n] = i2c(n);
  const ctx = vm.createContext(sandbox);
  // Espruino's `global`: the modules read the resident code's functions through it. Here the
  // bundle's top-level names are `let`s (see withoutHoisting), which no global object holds.
  sandbox.global = new Proxy({}, { get: (_t, k) => (typeof k === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? vm.runInContext('typeof ' + k + ' === "undefined" ? undefined : ' + k, ctx) : undefined) });
  vm.runInContext(STRIP, ctx);

  const parsed = checkSyntax(code);
  if (!parsed.ast) return { ok: false, lines, findings: parsed.findings, calls };
  const script = withoutHoisting(code, parsed.ast);
  const fail = (when: string, e: unknown) => {
    const err = e as Error;
    // Hoisting was undone by inserting text within lines, so the line number still holds.
    const m = /firmware\.js:(\d+)(?::(\d+))?/.exec((err && err.stack) || '');
    findings.push({ kind: 'boot', line: m ? +m[1] : 0, column: m && m[2] ? +m[2] : 0, message: when + ' threw ' + (err && err.name ? err.name + ': ' + err.message : String(e)) });
  };
  try {
    vm.runInContext(script, ctx, { timeout: 10000, filename: 'firmware.js' });
  } catch (e) {
    fail('loading the bundle', e);
  }
  const advance = (ms: number) => {
    const end = nowMs + ms;
    for (let guard = 0; guard < 100000; guard++) {
      timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = timers[0];
      if (!t || t.at > end) break;
      nowMs = t.at;
      if (t.every) t.at += t.every;
      else timers.shift();
      try {
        t.fn();
      } catch (e) {
        fail('a timer callback', e);
        break;
      }
    }
    nowMs = end;
  };
  if (findings.length === 0) advance(opts.runMs === undefined ? 30000 : opts.runMs);
  if (partial) lines.push(partial), (partial = '');
  if (findings.length === 0 && !lines.some((l) => l.indexOf('STATUS ') === 0))
    findings.push({ kind: 'boot', line: 0, column: 0, message: 'booted but printed no line starting with "STATUS " (output: ' + JSON.stringify(lines.slice(0, 5)) + ')' });
  const type = (text: string, ms = 100) => {
    const before = lines.length;
    for (const port of Object.keys(listeners)) for (const fn of listeners[port]) if (port === 'Serial1' || port === 'USB' || port === 'LoopbackB') fn(text);
    advance(ms);
    if (partial) lines.push(partial), (partial = '');
    return lines.slice(before);
  };
  return { ok: findings.length === 0, lines, findings, calls, type };
}

// ---------------------------------------------------------------- (e) the real interpreter

/** The shared 32-bit interpreters (../shared/espruino/): the boards' variable layout, on every
 *  machine of the project, CI included. $ESPRUINO / $ESPRUINO_WIFI name others. */
export const SHARED_ESPRUINO = path.resolve(__dirname, '..', '..', 'shared', 'espruino');

function interpreter(env: string | undefined, file: string): string | null {
  const p = path.resolve(env || path.join(SHARED_ESPRUINO, file));
  return fs.existsSync(p) ? p : null;
}

const launchers = new Map<string, string[]>();

/** How to start an interpreter binary with args: [program, ...args]. The binary itself where
 *  the kernel runs it; where it cannot (the shared builds are 32-bit, and some kernels have no
 *  IA-32 support: "Exec format error"), through qemu-i386 from Debian's qemu-user, which runs
 *  the same binary (same heap, same variable layout) in user mode. Asked once per binary. */
export function interpreterCommand(binary: string, args: string[]): string[] {
  let pre = launchers.get(binary);
  if (!pre) {
    const runs = (cmd: string[]) => {
      const r = spawnSync(cmd[0], cmd.slice(1).concat(['-e', 'print("RUNS"+1)']), { encoding: 'utf8', timeout: 20000, stdio: ['ignore', 'pipe', 'pipe'] });
      return !r.error && /RUNS1/.test(r.stdout || '');
    };
    pre = runs([binary]) ? [binary] : runs(['qemu-i386', binary]) ? ['qemu-i386', binary] : [binary];
    launchers.set(binary, pre);
  }
  return pre.concat(args);
}

/** How many times longer the interpreters take through qemu-i386 than run natively (a guess
 *  from runs of the tests; $ESPRUINO_SLOWDOWN sets another). */
const EMULATED_SLOWDOWN = 4;

/** A time limit for running an interpreter binary: ms when the machine runs it natively,
 *  longer when it runs through qemu-i386 (interpreterCommand). */
export function interpreterTime(binary: string | null, ms: number): number {
  if (!binary || interpreterCommand(binary, [])[0] === binary) return ms;
  return ms * (Number(process.env.ESPRUINO_SLOWDOWN) || EMULATED_SLOWDOWN);
}

/** interpreterTime for the Pico-heap interpreter espruinoBinary() finds (for test time limits). */
export function slowIfEmulated(ms: number): number {
  return interpreterTime(espruinoBinary(), ms);
}

/** Espruino's Linux build with a Pico's heap (5,100 variables): $ESPRUINO, or ../shared/espruino/espruino-pico. */
export function espruinoBinary(): string | null {
  return interpreter(process.env.ESPRUINO, 'espruino-pico');
}

/** Interpreter code that copies a file of the host into a Storage file, in 512-byte pieces
 *  as the IDE uploads (a whole bundle read into RAM would not fit the heap). */
function copyToStorage(file: string, name: string, bytes: number): string {
  return '(function () { var S = require("Storage"), f = E.openFile(' + JSON.stringify(file) + ', "r"), at = 0, s; S.erase(' + JSON.stringify(name) + '); while ((s = f.read(512))) { S.write(' + JSON.stringify(name) + ', s, at, ' + bytes + '); at += s.length; } f.close(); })();';
}

/** Free variables of an empty program on this interpreter. A rig's run holds its own stubs and
 *  typed commands: this less the run's free before its boot is what to add back for a board's figure. */
export function emptyFree(binary: string): number {
  const m = /EMPTY (\d+)/.exec(runOnEspruino('print("EMPTY " + process.memory().free);', binary).join('\n'));
  return m ? +m[1] : 0;
}

/** Runs a script on the interpreter in a scratch folder; its output lines, with the REPL's
 *  prompt redraws and escapes taken out. A 'latin1' script is a byte string (pretokenised
 *  code may hold NUL bytes, where the Linux build stops reading a script file): it is copied
 *  into Storage and evaluated from there, as on a board. */
export function runOnEspruino(code: string, binary: string, encoding: 'utf8' | 'latin1' = 'utf8'): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-run-'));
  const bytes = Buffer.from(code, encoding);
  if (encoding === 'latin1') {
    fs.writeFileSync(path.join(dir, 'code.bin'), bytes);
    fs.writeFileSync(path.join(dir, 'run.js'), copyToStorage('code.bin', 'code', bytes.length) + '\neval(require("Storage").read("code"));\n');
  } else fs.writeFileSync(path.join(dir, 'run.js'), bytes);
  let out = '';
  try {
    const c = interpreterCommand(binary, ['run.js']);
    out = execFileSync(c[0], c.slice(1), { cwd: dir, encoding: 'utf8', timeout: interpreterTime(binary, 30000), stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out.split(/\r?\n/).map((l) => l.slice(l.lastIndexOf('\r') + 1).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^>+/, ''));
}

/** The heap of the interpreter espruinoWifiBinary() finds: an Espruino WiFi's (since 2v10). */
export const WIFI_HEAP = 8190;

/** The same interpreter with an Espruino WiFi's heap (8,190 variables): $ESPRUINO_WIFI, or
 *  ../shared/espruino/espruino-wifi. */
export function espruinoWifiBinary(): string | null {
  return interpreter(process.env.ESPRUINO_WIFI, 'espruino-wifi');
}

/** What the real interpreter did with the bundle. */
export interface EspruinoRun {
  version: string;
  /** Variables free before loading and after booting (the heap is Pico-sized: 5,100). */
  freeBefore: number;
  /** Free after boot, and the least free after any typed command. */
  freeAfterBoot: number;
  minFreeInSession: number;
  /** The least free while each typed command ran (from its typing until the next's), in order. */
  freePerCommand: number[];
  lines: string[];
  findings: Finding[];
}

// Board globals the Linux build lacks or must not touch, stubbed in Espruino's own JS. Written
// to Storage first and run from there, as on the board (function bodies stay in flash).
const ESPRUINO_PRELUDE = [
  'var Pin = function (n) { this.n = n; };',
  // Every line the unit prints samples the heap: the lowest free while a module is loaded.
  'var __low = 1e9;',
  'function __port(name) { return { setup: function () {}, on: function (e, f) { this.f = f; }, write: function (s) { if (typeof s === "string") { var m = process.memory().free; if (m < __low) __low = m; print(name + "> " + s.trim()); } }, setConsole: function () {}, removeAllListeners: function () {} }; }',
  'var Serial1 = __port("Serial1"), Serial2 = __port("Serial2"), Serial3 = __port("Serial3"), Serial4 = __port("Serial4"), Serial6 = __port("Serial6"), USB = __port("USB"), LoopbackA = __port("LoopbackA");',
  // I2C: an AT24C EEPROM of up to 256 KB at 0x50 (for an AT24CM01/02 at 0x50 to 0x53, whose
  // low bits are address bits 16 and 17) whose 256-byte pages are files in Storage (read back
  // from flash, so the chip's contents take no variables, as on the board; page writes wrap in
  // their page as on an AT24CM01: the smaller parts' drivers never cross their smaller pages) and
  // a DS3231 at 0x68 showing 2026-01-01 00:00:00, valid.
  // A code EEPROM (tools/image.ts CodeEeprom) at __cea, its contents the Storage file "cee" (read
  // only: the flasher writes it).
  'var __ptr = 0, __cptr = 0, __St = require("Storage");',
  'var I2C1 = { setup: function () {},',
  // (the address bytes, then the data in the same argument or the next: writeTo sends them all)
  '  writeTo: function (a, d, e) { if (a === __cea) { __cptr = d[0] << 8 | d[1]; return; } if ((a & 0x7c) !== 0x50 || d.length < 2) return; var m = process.memory().free; if (m < __low) __low = m; __ptr = (a & 3) << 16 | d[0] << 8 | d[1];',
  '    var pg = -1, b, x = e || d, o = e ? 0 : 2;',
  '    for (var i = o; i < x.length; i++) { var ad = (__ptr & 0x3ff00) | ((__ptr + i - o) & 255);',
  '      if (ad >> 8 !== pg) { pg = ad >> 8; var old = __St.read("ee" + pg); b = new Uint8Array(256); if (old) b.set(E.toUint8Array(old)); else b.fill(255); }',
  '      b[ad & 255] = x[i]; }',
  '    if (pg >= 0) __St.write("ee" + pg, E.toString(b)); },',
  '  readFrom: function (a, n) { if (a === __cea) { var c = E.toUint8Array(__St.read("cee", __cptr, n)); __cptr += n; return c; }',
  '    var r = new Uint8Array(n); if (a === 0x68) { r.set([0, 0, 0, 5, 1, 1, 0x26].slice(0, n)); return r; }',
  // (page by page, not byte by byte: a blank 128 KB part is read whole when it is formatted)
  '    r.fill(255);',
  '    for (var i = 0; i < n; ) { var ad = (__ptr + i) & 0x3ffff, k = Math.min(n - i, 256 - (ad & 255)), s = __St.read("ee" + (ad >> 8), ad & 255, k); if (s) r.set(E.toUint8Array(s), i); i += k; }',
  '    __ptr = (__ptr + n) & 0x3ffff; return r; } },',
  '  I2C2 = I2C1, I2C3 = I2C1;',
  'var digitalWrite = function () {}, digitalRead = function () { return 0; }, pinMode = function () {}, setWatch = function () { return 1; }, clearWatch = function () {};',
  'E.enableWatchdog = function () {}; E.kickWatchdog = function () {};',
].join('\n');

/** What to put in Storage before a boot: files (byte strings, one char per byte) and the
 *  top-level code that loads them, as `.bootcde` would. */
export interface StorageBoot {
  files: { [name: string]: string };
  boot: string;
  /** What the board's code EEPROM holds (tools/image.ts CodeEeprom), at its I2C address. */
  codeEeprom?: { address: number; bytes: string };
}

/** A plain bundle as one Storage file evaluated from flash. */
function plainBoot(code: string): StorageBoot {
  return { files: { fw: code }, boot: 'eval(__S.read("fw"));' };
}

/** Runs the bundle (or a board image) on Espruino's Linux build from Storage, types
 *  `login`/`status` on the console ports, and reports errors, memory and whether it printed
 *  "STATUS ". */
export function bootOnEspruino(code: string | StorageBoot, binary: string, typed: string[] = ['login 3333', 'status'], settleMs = 0, timeoutMs = 30000): EspruinoRun {
  const load = typeof code === 'string' ? plainBoot(code) : code;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-check-'));
  let write = '';
  const files = load.codeEeprom ? { ...load.files, cee: load.codeEeprom.bytes } : load.files;
  for (const name of Object.keys(files)) {
    const file = path.join(dir, name + '.bin');
    const bytes = Buffer.from(files[name], 'latin1');
    fs.writeFileSync(file, bytes);
    write += '\n' + copyToStorage(file, name, bytes.length);
  }
  // One command every 300 ms, as typed (a reply's timers run between them); the run ends
  // `settleMs` after the last one, when every timer is cleared. The lowest free is printed just
  // before each command is typed and at the end, so each figure after the first covers one
  // command from its typing (the line is handled at once) to the next's.
  const feed =
    'var __cmds = ' + JSON.stringify(typed.map((t) => t + '\r')) + ', __i = 0;' +
    ' function __next() { print("FREE-NOW " + Math.min(__low, process.memory().free)); __low = 1e9;' +
    ' if (__i >= __cmds.length) return setTimeout(function () { clearInterval(); }, ' + settleMs + ');' +
    ' var t = __cmds[__i++]; if (Serial1.f) Serial1.f(t); if (USB.f) USB.f(t); setTimeout(__next, 300); }';
  const runner =
    'var __cea = ' + (load.codeEeprom ? load.codeEeprom.address : -1) + ';\n' +
    ESPRUINO_PRELUDE +
    '\nvar __S = require("Storage");' +
    write +
    '\nprint("FREE-BEFORE " + process.memory().free + " " + process.env.VERSION);' +
    '\n' + load.boot +
    '\nprint("FREE-AFTER " + process.memory().free);' +
    '\n' + feed + '\nsetTimeout(__next, 500);\n';
  fs.writeFileSync(path.join(dir, 'runner.js'), runner);
  let out: string;
  try {
    const c = interpreterCommand(binary, ['runner.js']);
    out = execFileSync(c[0], c.slice(1), { cwd: dir, encoding: 'utf8', timeout: interpreterTime(binary, timeoutMs), stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; message: string };
    out = (err.stdout || '') + '\n' + err.message;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.ESP_DEBUG) console.log(out);
  // The REPL's prompt is redrawn with '\r' and an erase escape in front of printed lines.
  const all = out.split(/\r?\n/).map((l) => l.slice(l.lastIndexOf('\r') + 1).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^>+/, ''));
  const before = all.find((l) => l.indexOf('FREE-BEFORE ') === 0);
  const after = all.find((l) => l.indexOf('FREE-AFTER ') === 0);
  const lines = all.filter((l) => /^[A-Za-z0-9]+> /.test(l)).map((l) => l.replace(/^[A-Za-z0-9]+> /, ''));
  const findings: Finding[] = [];
  // FIFO_FULL alone is the Linux port's IO event queue overflowing, seen only on a loaded host
  // (once in a full test run): the runner hands the console its input by calling the handlers,
  // not through that queue, so nothing of the test is lost with it.
  const bad = all.filter((l) => /Uncaught|OUT OF MEMORY|ASSERT|Execution Interrupted|New interpreter error|is not defined|Can't /.test(l) && !/^New interpreter error: FIFO_FULL\s*$/.test(l.trim()));
  for (const l of bad) findings.push({ kind: 'boot', line: 0, column: 0, message: 'on Espruino: ' + l.trim() });
  if (!lines.some((l) => l.indexOf('STATUS ') === 0)) findings.push({ kind: 'boot', line: 0, column: 0, message: 'on Espruino: no line starting with "STATUS " (' + JSON.stringify(all.filter((l) => l.trim()).slice(-6)) + ')' });
  return {
    version: before ? before.split(' ')[2] || '' : '',
    freeBefore: before ? +before.split(' ')[1] : 0,
    freeAfterBoot: after ? +after.split(' ')[1] : 0,
    minFreeInSession: Math.min.apply(null, all.filter((l) => l.indexOf('FREE-NOW ') === 0).map((l) => +l.split(' ')[1]).concat([after ? +after.split(' ')[1] : 0])),
    freePerCommand: all.filter((l) => l.indexOf('FREE-NOW ') === 0).slice(1).map((l) => +l.split(' ')[1]),
    lines,
    findings,
  };
}

// ---------------------------------------------------------------- all together

/** Options of the whole check. */
export interface CheckOptions {
  /** Run the bundle in the stripped context (default true). */
  boot?: boolean;
  /** The on-demand modules the boot loads. */
  modules?: { name: string; code: string }[];
}

/** Every finding for a bundle, in the order syntax, builtin, order, boot. */
/** Inside each function, a `var` read or written before its declaration: Espruino does not
 *  hoist `var`, so the early use goes to an outer (often global) variable of that name. */
export function checkVarOrder(code: string, ast: Node): Finding[] {
  const out: Finding[] = [];
  const fnTypes = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'];
  function scan(body: Node): void {
    // var declarations of this function (not of nested ones), by name -> first position
    const decl: { [n: string]: number } = {};
    const uses: Node[] = [];
    function visit(n: Node | null, top: boolean): void {
      if (!n || typeof n.type !== 'string') return;
      if (!top && fnTypes.indexOf(n.type) >= 0) {
        scan(n);
        return;
      }
      if (n.type === 'VariableDeclaration' && n.kind === 'var') {
        for (const d of n.declarations) if (d.id.type === 'Identifier' && decl[d.id.name] === undefined) decl[d.id.name] = d.id.start;
      }
      if (n.type === 'Identifier') uses.push(n);
      for (const k of Object.keys(n)) {
        if (k === 'type' || k === 'start' || k === 'end') continue;
        const v = n[k];
        if (k === 'key' && n.type === 'Property' && !n.computed) continue;
        if (k === 'property' && n.type === 'MemberExpression' && !n.computed) continue;
        if (Array.isArray(v)) for (const c of v) visit(c, false);
        else if (v && typeof v === 'object' && typeof v.type === 'string') visit(v, false);
      }
    }
    if (fnTypes.indexOf(body.type) >= 0) {
      const params: { [n: string]: true } = {};
      for (const p of body.params) if (p.type === 'Identifier') params[p.name] = true;
      visit(body.body, false);
      for (const u of uses) {
        const at = decl[u.name];
        if (at !== undefined && u.start < at && !params[u.name]) {
          out.push(finding('order', code, u, '"' + u.name + '" is used before its `var` declaration in the same function; Espruino does not hoist var, so this use reaches an outer variable'));
          decl[u.name] = -1;
        }
      }
    } else visit(body, true);
  }
  for (const stmt of (ast as Node).body) scan(stmt);
  return out;
}

export function checkBundle(code: string, opts: CheckOptions = {}): Finding[] {
  const syn = checkSyntax(code);
  if (!syn.ast) return syn.findings;
  const out = syn.findings.concat(checkBuiltins(code, syn.ast), checkOrder(code, syn.ast), checkVarOrder(code, syn.ast));
  // A bundle that is not ES5 would only fail the boot for the same reasons.
  if (opts.boot !== false && out.length === 0) out.push(...bootInStrippedContext(code, { modules: opts.modules }).findings);
  return out;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const files = args.filter((a) => a[0] !== '-');
  if (files.length === 0) {
    console.error('usage: ts-node tools/espruino-check.ts <bundle.js>... [--no-boot]');
    process.exit(2);
  }
  let bad = 0;
  for (const f of files) {
    const found = checkBundle(fs.readFileSync(f, 'utf8'), { boot: args.indexOf('--no-boot') < 0 });
    for (const x of found) console.log(formatFinding(x, f));
    if (found.length === 0) console.log(f + ': Espruino check passed');
    bad += found.length;
  }
  process.exit(bad ? 1 : 0);
}
