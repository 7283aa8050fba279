// Worker thread entry of sim/site.ts: plain JavaScript that loads the TypeScript worker. Each
// .ts module is transpiled as ts-node does here (transpile only, tsconfig.json's compiler
// options), and the JavaScript is kept in node_modules/.cache/sim-worker/ under a hash of the
// source, the options and the compiler's version: a worker then starts in a fraction of a
// second instead of transpiling the firmware and the simulator again (about 4 s of CPU each).
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'sim-worker');
const TS_VERSION = require('typescript/package.json').version;
const CONFIG = fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8');
/** Everything besides the source that shapes the JavaScript (this file's own text too). */
const SALT = TS_VERSION + '\0' + CONFIG + '\0' + fs.readFileSync(__filename, 'utf8');

let compilerOptions = null;

/** The JavaScript of one module, as `ts-node --transpile-only` would make it. */
function transpile(source, file) {
  const ts = require('typescript');
  if (!compilerOptions) {
    const cfg = ts.parseConfigFileTextToJson('tsconfig.json', CONFIG).config;
    compilerOptions = ts.convertCompilerOptionsFromJson(cfg.compilerOptions, ROOT).options;
    compilerOptions.noEmit = false;
    compilerOptions.sourceMap = false;
  }
  return ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
}

require.extensions['.ts'] = function (module, file) {
  const source = fs.readFileSync(file, 'utf8');
  const key = crypto.createHash('sha256').update(SALT).update('\0').update(file).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE, key + '.js');
  let js;
  try {
    js = fs.readFileSync(cached, 'utf8');
  } catch (e) {
    js = transpile(source, file);
    try {
      // Written aside and renamed: the other workers may be reading the same entry.
      fs.mkdirSync(CACHE, { recursive: true });
      const tmp = cached + '.' + process.pid + '.' + require('worker_threads').threadId;
      fs.writeFileSync(tmp, js);
      fs.renameSync(tmp, cached);
    } catch (e2) {
      // A read-only tree: transpiled each time, as before.
    }
  }
  module._compile(js, file);
};

require('./site-unit-worker.ts');
