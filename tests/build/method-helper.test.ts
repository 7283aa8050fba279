// The pass that assigns class methods in fewer bytes (tools/method-helper.ts): the same
// behaviour, and no name the code uses taken for its helper.
import { describe, expect, it } from 'vitest';
import { minifiedEs5, resultOf } from './es5-code';
import { methodsThroughHelper } from '../../tools/method-helper';

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

const es5 = () => minifiedEs5(SOURCE);
const run = resultOf;

describe('class methods through a helper', () => {
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
