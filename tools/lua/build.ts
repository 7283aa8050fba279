// The billing core in Lua: `npm run build -- --lua` compiles tools/lua/billing.ts (the module's
// API) and what it imports (firmware/core.ts, firmware/billing/, firmware/config.ts, the golden-
// trace replay, ...) with typescript-to-lua into one file, dist/lua/billing.lua, with
// tools/lua/prelude.lua at its top; beside it replay.lua, the replay program. docs/lua.md.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import * as tstl from 'typescript-to-lua';
import { jsSemantics } from './plugin';

const ROOT = path.resolve(__dirname, '..', '..');
const HERE = path.join(ROOT, 'tools', 'lua');
export const LUA_ENTRY = path.join(HERE, 'billing.ts');
export const LUA_MODULE = 'billing.lua';

/** What a Lua build wrote. */
export interface LuaBuild {
  dir: string;
  /** Bytes per written file name. */
  files: { [name: string]: number };
}

/** A build problem, with typescript-to-lua's diagnostics as text. */
export class LuaBuildError extends Error {}

/** Notes typescript-to-lua gives about what plugin.ts and the prelude take care of: the bit
 *  operators on the universal target (the prelude's bit functions have JavaScript's meaning) and
 *  numbers or strings tested for truth (the plugin tests them as JavaScript does). */
function expected(d: ts.Diagnostic): boolean {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  return text.startsWith('Bitwise operations is/are not supported for target Lua universal') || text.startsWith("Only false and nil evaluate to 'false' in Lua");
}

/** Compiles a TypeScript entry and what it imports into one Lua file, dir/bundle, with the
 *  prelude at its top; returns its size in bytes. */
export function compileLua(entry: string, dir: string, bundle: string): number {
  const prelude = fs.readFileSync(path.join(HERE, 'prelude.lua'), 'utf8');
  const written: { [file: string]: string } = {};
  const options: tstl.CompilerOptions = {
    target: ts.ScriptTarget.ES2020,
    lib: ['lib.es2020.d.ts'],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
    strict: true,
    skipLibCheck: true,
    rootDir: ROOT,
    outDir: dir,
    luaTarget: tstl.LuaTarget.Universal,
    luaLibImport: tstl.LuaLibImportKind.RequireMinimal,
    luaBundle: bundle,
    luaBundleEntry: entry,
    noHeader: true,
    luaPlugins: [{ plugin: jsSemantics(prelude, bundle) }],
  };
  const result = tstl.transpileFiles([entry], options, (file, text) => {
    written[file] = text;
  });
  const problems = result.diagnostics.filter((d) => !expected(d));
  if (problems.length) {
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
    throw new LuaBuildError('typescript-to-lua:\n' + ts.formatDiagnostics(problems, host));
  }
  const file = path.join(dir, bundle);
  if (written[file] === undefined || Object.keys(written).length !== 1) throw new LuaBuildError('typescript-to-lua wrote ' + Object.keys(written).join(', ') + ', not ' + file + ' alone');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, written[file]);
  return Buffer.byteLength(written[file]);
}

/** Compiles the core into dir (default dist/lua) and copies the replay program beside it. */
export function buildLua(dir = path.join(ROOT, 'dist', 'lua')): LuaBuild {
  const files: { [name: string]: number } = {};
  files[LUA_MODULE] = compileLua(LUA_ENTRY, dir, LUA_MODULE);
  const replay = fs.readFileSync(path.join(HERE, 'replay.lua'), 'utf8');
  fs.writeFileSync(path.join(dir, 'replay.lua'), replay);
  files['replay.lua'] = Buffer.byteLength(replay);
  return { dir, files };
}
