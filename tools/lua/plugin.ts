// typescript-to-lua plugin for the billing core's Lua build: where Lua's meaning of an operator
// differs from JavaScript's, the compiled code calls a function of tools/lua/prelude.lua that
// has JavaScript's, so the same TypeScript gives the same decisions on Node and on Lua.
//   - a number or string tested for truth (`if (x)`, `!x`, `x ? a : b`, `x && y`, `x || y`):
//     0, NaN and '' are false in JavaScript, true in Lua;
//   - `%`: JavaScript's takes the dividend's sign, Lua's the divisor's;
//   - `x instanceof Array`, `k in o`, `for (k in o)`: Lua has no Array class, no prototype
//     names, and no key order;
//   - `t[i] = v`: a typed array converts v to its element type (the prelude's typed arrays are
//     plain tables, so the store calls ____store, which converts for them);
//   - parseInt and substr: typescript-to-lua's take no leading "+" and count a negative start wrongly.
// The bit operators need no rewriting: for the universal target typescript-to-lua already calls
// bit.band etc., which the prelude gives JavaScript's 32-bit meaning (tools/lua/build.ts lets
// their "not supported for this target" notes through, and no other).
import * as ts from 'typescript';
import * as tstl from 'typescript-to-lua';

const lua = tstl;

/** Calls a prelude function. */
function call(name: string, args: tstl.Expression[], original?: ts.Node): tstl.Expression {
  return lua.createCallExpression(lua.createIdentifier(name), args, original);
}

/** The node itself, or the expression it stands in, without parentheses and type assertions. */
function outerOf(node: ts.Node): ts.Node {
  let n = node;
  while (n.parent && (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isTypeAssertionExpression(n.parent) ||
    ts.isNonNullExpression(n.parent) || ts.isSatisfiesExpression(n.parent))) n = n.parent;
  return n;
}

function isLogical(node: ts.Node): boolean {
  return ts.isBinaryExpression(node) && (node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken);
}

/** True when only the truth of the expression's value is used. */
export function testedForTruth(node: ts.Node): boolean {
  const n = outerOf(node);
  const p = n.parent;
  if (!p) return false;
  if (ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) return p.expression === n;
  if (ts.isForStatement(p)) return p.condition === n;
  if (ts.isConditionalExpression(p)) return p.condition === n;
  if (ts.isPrefixUnaryExpression(p)) return p.operator === ts.SyntaxKind.ExclamationToken;
  if (isLogical(p)) return testedForTruth(p);
  return false;
}

const DIFFERS = ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NumberLike | ts.TypeFlags.StringLike | ts.TypeFlags.BigIntLike |
  ts.TypeFlags.TypeParameter | ts.TypeFlags.Index | ts.TypeFlags.IndexedAccess | ts.TypeFlags.Conditional | ts.TypeFlags.Substitution;

/** True when a value of the node's type may be 0, NaN or '' (false in JavaScript, true in Lua). */
export function truthDiffers(context: tstl.TransformationContext, node: ts.Expression): boolean {
  const type = context.checker.getTypeAtLocation(node);
  const parts = type.isUnionOrIntersection() ? type.types : [type];
  for (const t of parts) {
    if (!(t.flags & DIFFERS)) continue;
    if (t.isNumberLiteral() && t.value !== 0) continue;
    if (t.isStringLiteral() && t.value !== '') continue;
    return true;
  }
  return false;
}

/** An expression visitor that gives a tested value JavaScript's truth. */
function truthOf(node: ts.Expression, context: tstl.TransformationContext): tstl.Expression {
  const e = context.superTransformExpression(node);
  return testedForTruth(node) && truthDiffers(context, node) ? call('____truthy', [e], node) : e;
}

/** `a && b`, `a || b` whose value is used: JavaScript gives a itself when a decides. */
function logicalValue(node: ts.BinaryExpression, context: tstl.TransformationContext): tstl.Expression {
  const left = context.transformExpression(node.left);
  const temp = context.createTempNameForLuaExpression(left);
  context.addPrecedingStatements(lua.createVariableDeclarationStatement(temp, left, node.left));
  context.pushPrecedingStatements();
  const right = context.transformExpression(node.right);
  const rightFirst = context.popPrecedingStatements();
  let test = call('____truthy', [lua.cloneIdentifier(temp)], node.left);
  if (node.operatorToken.kind === ts.SyntaxKind.BarBarToken) test = lua.createUnaryExpression(test, lua.SyntaxKind.NotOperator);
  const assign = lua.createAssignmentStatement(lua.cloneIdentifier(temp), right, node.right);
  context.addPrecedingStatements(lua.createIfStatement(test, lua.createBlock([...rightFirst, assign])));
  return lua.cloneIdentifier(temp);
}

function binary(node: ts.BinaryExpression, context: tstl.TransformationContext): tstl.Expression {
  const op = node.operatorToken.kind;
  if (isLogical(node)) {
    // Tested for truth: each side is tested on its own (truthOf). Else the left side decides.
    if (testedForTruth(node) || !truthDiffers(context, node.left)) return context.superTransformExpression(node);
    return logicalValue(node, context);
  }
  if (op === ts.SyntaxKind.InstanceOfKeyword && ts.isIdentifier(node.right) && node.right.text === 'Array') {
    return call('____isArray', [context.transformExpression(node.left)], node);
  }
  if (op === ts.SyntaxKind.InKeyword) {
    return call('____in', [context.transformExpression(node.left), context.transformExpression(node.right)], node);
  }
  return truthOf(node, context);
}

type AnyNode = { [k: string]: unknown };

/** typescript-to-lua's library functions that differ from JavaScript's, and the prelude's. */
const REPLACED: { [name: string]: string } = { __TS__ParseInt: '____parseInt', __TS__StringSubstr: '____substr' };

/** Rewrites the compiled file: `%` to ____mod (compound `%=` included), a store at a computed
 *  index to ____store (a typed array converts the value), pairs() of for-in to ____forIn,
 *  typescript-to-lua's parseInt and substr to the prelude's. */
function rewrite(n: unknown): unknown {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) n[i] = rewrite(n[i]);
    return n;
  }
  if (!n || typeof n !== 'object' || typeof (n as AnyNode).kind !== 'number') return n;
  const node = n as AnyNode;
  for (const k of Object.keys(node)) if (node[k] && typeof node[k] === 'object') node[k] = rewrite(node[k]);
  const ln = n as tstl.Node;
  if (lua.isBinaryExpression(ln) && ln.operator === lua.SyntaxKind.ModuloOperator) return call('____mod', [ln.left, ln.right]);
  if (lua.isAssignmentStatement(ln) && ln.left.length === 1 && ln.right.length === 1 && lua.isTableIndexExpression(ln.left[0]) && !lua.isStringLiteral(ln.left[0].index)) {
    return lua.createExpressionStatement(call('____store', [ln.left[0].table, ln.left[0].index, ln.right[0]]));
  }
  if (lua.isCallExpression(ln) && lua.isIdentifier(ln.expression) && REPLACED[ln.expression.text]) ln.expression = lua.createIdentifier(REPLACED[ln.expression.text]);
  if (lua.isForInStatement(ln) && ln.expressions.length === 1) {
    const e = ln.expressions[0];
    if (lua.isCallExpression(e) && lua.isIdentifier(e.expression) && e.expression.text === 'pairs') e.expression = lua.createIdentifier('____forIn');
  }
  return n;
}

/** The plugin; `prelude` is the Lua text put at the top of the bundle named `bundle`. */
export function jsSemantics(prelude: string, bundle: string): tstl.Plugin {
  const truth = (node: ts.Expression, context: tstl.TransformationContext) => truthOf(node, context);
  return {
    visitors: {
      [ts.SyntaxKind.Identifier]: truth,
      [ts.SyntaxKind.PropertyAccessExpression]: truth,
      [ts.SyntaxKind.ElementAccessExpression]: truth,
      [ts.SyntaxKind.CallExpression]: truth,
      [ts.SyntaxKind.PrefixUnaryExpression]: truth,
      [ts.SyntaxKind.PostfixUnaryExpression]: truth,
      [ts.SyntaxKind.ConditionalExpression]: truth,
      [ts.SyntaxKind.NumericLiteral]: truth,
      [ts.SyntaxKind.StringLiteral]: truth,
      [ts.SyntaxKind.NoSubstitutionTemplateLiteral]: truth,
      [ts.SyntaxKind.TemplateExpression]: truth,
      [ts.SyntaxKind.BinaryExpression]: binary,
      [ts.SyntaxKind.SourceFile]: (node, context) => rewrite(context.superTransformNode(node)[0]) as tstl.File,
    },
    beforeEmit(_program, _options, _host, result) {
      for (const f of result) if (f.outputPath.endsWith(bundle)) f.code = prelude + '\n' + f.code;
    },
  };
}
