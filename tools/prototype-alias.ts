// A build pass for boards short of flash rather than heap (the WiFi): in each class of the
// minified code (tsc's ES5 form, `function(){function t(){..} t.prototype.a=..; t.prototype.b=..;
// return t}()`), the methods are assigned through one local alias of the prototype
// (`var Z=t.prototype` then `Z.a=..`): `prototype` is not a keyword, so the pretokeniser keeps
// its nine letters at every method. The alias costs each class a variable in its scope, which
// is why the heap-bound Pico does not take it.
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

/* eslint-disable @typescript-eslint/no-explicit-any */
type N = any;

/** Names tried as the alias, each taken only where nothing inside the class reads or declares
 *  it (so nothing the methods see is shadowed). */
const ALIASES = 'ZQXJKVWYGHBUzqxjkvwyg'.split('').concat(['$p', '$q', '_p', '_q']);

/** The code with each class's prototype assignments going through an alias; a class with
 *  fewer than `min` methods is left as it is (the alias would cost more than it saves). */
export function aliasPrototypes(code: string, min = 3): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as N;
  const edits: { at: number; end: number; text: string }[] = [];
  walk.full(ast, (fn: N) => {
    if (fn.type !== 'FunctionExpression' && fn.type !== 'FunctionDeclaration') return;
    const body = fn.body.body as N[];
    // The class: a function declared in this body whose prototype gets methods assigned here.
    const byClass: { [name: string]: N[] } = {};
    for (const s of body) {
      const e = s.type === 'ExpressionStatement' ? s.expression : null;
      const l = e && e.type === 'AssignmentExpression' && e.operator === '=' ? e.left : null;
      const o = l && l.type === 'MemberExpression' && !l.computed ? l.object : null;
      if (!o || o.type !== 'MemberExpression' || o.computed || o.property.name !== 'prototype' || o.object.type !== 'Identifier') continue;
      (byClass[o.object.name] = byClass[o.object.name] || []).push(o);
    }
    const declared: { [name: string]: boolean } = {};
    for (const s of body) if (s.type === 'FunctionDeclaration') declared[s.id.name] = true;
    for (const cls of Object.keys(byClass)) {
      const uses = byClass[cls];
      if (uses.length < min || !declared[cls]) continue;
      // The prototype may be replaced (__extends) before the first method: the alias is taken
      // right before the first assignment.
      const names: { [name: string]: boolean } = {};
      walk.full(fn, (n: N) => {
        if (n.type === 'Identifier') names[n.name] = true;
      });
      const alias = ALIASES.filter((a) => !names[a])[0];
      if (!alias) continue;
      let first = uses[0];
      for (const s of body) if (s.expression && s.expression.left && s.expression.left.object === first) first = s;
      edits.push({ at: first.start, end: first.start, text: 'var ' + alias + '=' + cls + '.prototype\n' });
      for (const o of uses) edits.push({ at: o.start, end: o.end, text: alias });
    }
  });
  edits.sort((a, b) => b.at - a.at || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}
