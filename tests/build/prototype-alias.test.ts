// The passes that assign class methods in fewer bytes (tools/prototype-alias.ts): the same
// behaviour, and no name a method reads is shadowed.
import * as vm from 'vm';
import { describe, expect, it } from 'vitest';
import { minify } from 'terser';
import * as ts from 'typescript';
import { aliasPrototypes, methodsThroughHelper } from '../../tools/prototype-alias';

const SOURCE = `
var Z = 'outer Z';
class Base { constructor(public n: number) {} twice() { return this.n * 2; } name() { return 'base'; } }
class Sub extends Base {
  constructor(n: number) { super(n); }
  name() { return 'sub of ' + super.name(); }
  plusZ() { return Z + ' ' + this.twice(); }
  three() { return 3; }
}
class Two { a() { return 'a'; } b() { return 'b'; } }
var s = new Sub(21);
var t = new Two();
result = [s.twice(), s.name(), s.plusZ(), s.three(), t.a(), t.b(), s instanceof Base, Object.keys(Sub.prototype).sort().join()];
`;

async function es5(): Promise<string> {
  const js = ts.transpileModule(SOURCE, { compilerOptions: { target: ts.ScriptTarget.ES5 } }).outputText;
  const min = await minify(js, { ecma: 5, toplevel: true, compress: { sequences: false, join_vars: false }, mangle: { toplevel: true }, format: { semicolons: false } });
  return min.code as string;
}

function run(code: string): unknown {
  const box: { result?: unknown } = {};
  vm.runInNewContext(code, box);
  return box.result;
}

describe('prototype alias pass', () => {
  it('classes with three methods or more take the alias; behaviour, inheritance and outer names are unchanged', async () => {
    const code = await es5();
    const out = aliasPrototypes(code);
    expect(run(out)).toEqual(run(code));
    expect(run(out)).toEqual([42, 'sub of base', 'outer Z 42', 3, 'a', 'b', true, 'constructor,name,plusZ,three']);
    // Sub's three methods go through an alias; Base's and Two's two methods do not.
    const assigned = (c: string) => (c.match(/\.prototype\.\w+=/g) || []).length;
    expect(assigned(code) - assigned(out)).toBe(3);
    expect(out.length).toBeLessThan(code.length + 10);
  });

  it('with a minimum of two every class takes one, and the alias never shadows a name the class reads', async () => {
    const code = await es5();
    const out = aliasPrototypes(code, 2);
    expect(run(out)).toEqual(run(code));
    expect(out.match(/\.prototype\.\w+=/g)).toBeNull();
    // A class that reads every single-letter alias candidate keeps the longer ones.
    const busy = 'var C=function(){' + 'var Z=1,Q=2,X=3,J=4,K=5,V=6,W=7,Y=8,G=9,H=10,B=11,U=12,z=13,q=14,x=15,j=16,k=17,v=18,w=19,y=20,g=21\n' + 'function t(){}t.prototype.a=function(){return Z+g}\nt.prototype.b=function(){return Q}\nt.prototype.c=function(){return X}\nreturn t}()\nresult=[new C().a(),new C().c()]';
    const b = aliasPrototypes(busy);
    expect(b).toContain('var $p=t.prototype');
    expect(run(b)).toEqual([22, 3]);
  });

  it('through the helper: runs of two methods or more in one call, inheritance, super calls and outer names unchanged, no name reused', async () => {
    const code = await es5();
    const out = methodsThroughHelper(code);
    expect(run(out)).toEqual(run(code));
    expect(out.match(/\.prototype\.\w+=/g)).toBeNull();
    // one word `prototype` in the helper instead of one per method
    expect(out.split('prototype').length).toBeLessThan(code.split('prototype').length - 4);
    // A method named as a reserved word or an accessor prefix is quoted; a name the code uses
    // is not taken for the helper.
    const odd = 'var $m=7\nvar C=function(){function t(){}t.prototype.get=function(){return $m}\nt.prototype.delete=function(){return 2}\nt.prototype.x=5\nt.prototype.y=function(){return 3}\nreturn t}()\nvar c=new C()\nresult=[c.get(),c.delete(),c.x,c.y()]';
    const o = methodsThroughHelper(odd);
    expect(o).toContain('$m0(t,{"get":function(){return $m},"delete":function(){return 2}})');
    expect(o).toContain('t.prototype.y=function');
    expect(run(o)).toEqual([7, 2, 5, 3]);
  });
});
