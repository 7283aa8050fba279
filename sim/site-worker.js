// Worker thread entry of sim/site.ts: plain JavaScript that registers ts-node (transpile
// only, as in tsconfig.json) and loads the TypeScript worker.
require('ts-node').register({ transpileOnly: true, project: require('path').join(__dirname, '..', 'tsconfig.json') });
require('./site-unit-worker.ts');
