// A build pass for boards short of flash rather than heap (the WiFi). tsc's ES5 classes assign
// each method as `t.prototype.a=function..`, and `prototype` is not one of the pretokeniser's
// tokens: nine letters of flash per method. In minified resident code each run of method
// assignments becomes one call of a helper the code defines once,
// `H(t,{a:function..,b:function..})` (H copies the object's fields onto the prototype): no
// variable is left behind in the class's scope. The modules call the resident code's helper
// (meter reading, a module of its own, has five classes).
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

/* eslint-disable @typescript-eslint/no-explicit-any */
type N = any;

/** Words an object literal's key must not be left bare as (ES5 reserved words, and the getter
 *  and setter prefixes an interpreter might misread). */
const QUOTED = 'break case catch class const continue debugger default delete do else enum export extends false finally for function get if import in instanceof new null return set super switch this throw true try typeof var void while with'.split(' ');

/** A method assignment `C.prototype.name = <function>` as a statement, or null. */
function methodOf(s: N): { cls: string; key: string; value: N } | null {
  const e = s.type === 'ExpressionStatement' ? s.expression : null;
  const l = e && e.type === 'AssignmentExpression' && e.operator === '=' ? e.left : null;
  const o = l && l.type === 'MemberExpression' && !l.computed ? l.object : null;
  if (!o || o.type !== 'MemberExpression' || o.computed || o.property.name !== 'prototype' || o.object.type !== 'Identifier') return null;
  return { cls: o.object.name, key: l.property.name, value: e.right };
}

/** Every identifier name in a piece of code. */
function namesIn(node: N): { [name: string]: boolean } {
  const names: { [name: string]: boolean } = {};
  walk.full(node, (n: N) => {
    if (n.type === 'Identifier') names[n.name] = true;
  });
  return names;
}

/** Applies edits (non-overlapping ranges) to code. */
function edited(code: string, edits: { at: number; end: number; text: string }[]): string {
  edits.sort((a, b) => b.at - a.at || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

/** The code with each run of at least `min` consecutive method assignments of one class made
 *  one call of a helper defined at the top of the code (a name the code does not use). A module
 *  calls the resident code's helper instead: `helper` is its name, which the module must not use
 *  for anything else. */
export function methodsThroughHelper(code: string, min = 2, helper?: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as N;
  const used = namesIn(ast);
  let h = '$m';
  for (let i = 0; used[h]; i++) h = '$m' + i;
  if (helper) {
    if (used[helper]) throw new Error('method helper ' + helper + ': the name is taken in a module');
    h = helper;
  }
  const edits: { at: number; end: number; text: string }[] = [];
  // Classes are written at the top level (tools/classes-at-top.ts) or inside functions.
  const bodies: N[][] = [ast.body];
  walk.full(ast, (fn: N) => {
    if (fn.type === 'FunctionExpression' || fn.type === 'FunctionDeclaration') bodies.push(fn.body.body);
  });
  for (const body of bodies) {
    for (let i = 0; i < body.length; ) {
      const m = methodOf(body[i]);
      let j = i + 1;
      if (m && m.value.type === 'FunctionExpression') {
        while (j < body.length) {
          const n = methodOf(body[j]);
          if (!n || n.cls !== m.cls || n.value.type !== 'FunctionExpression') break;
          j++;
        }
        if (j - i >= min) {
          const fields: string[] = [];
          for (let k = i; k < j; k++) {
            const n = methodOf(body[k]) as { key: string; value: N };
            fields.push((QUOTED.indexOf(n.key) >= 0 ? JSON.stringify(n.key) : n.key) + ':' + code.slice(n.value.start, n.value.end));
          }
          edits.push({ at: body[i].start, end: body[j - 1].end, text: h + '(' + m.cls + ',{' + fields.join(',') + '})' });
        }
      }
      i = j;
    }
  }
  if (!edits.length) return code;
  if (helper) return edited(code, edits);
  return 'function ' + h + '(c,o){for(var k in o)c.prototype[k]=o[k]}\n' + edited(code, edits);
}
