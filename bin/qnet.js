#!/usr/bin/env node
// qnet's entry point. It runs the bundle (dist/qnet.cjs) with the V8 code cache
// the build made for it (dist/qnet.cjs.cache), so that start-up deserialises
// compiled code instead of compiling the bundle; without a usable cache (another
// build, another Node, other V8 flags) it compiles as usual.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');

const file = path.join(__dirname, '..', 'dist', 'qnet.cjs');
const cacheFile = `${file}.cache`;
let source;
try {
  // The build makes it pure ASCII and already wrapped as a CommonJS module.
  source = fs.readFileSync(file, 'latin1');
} catch (err) {
  if (err && err.code === 'ENOENT') {
    process.stderr.write('qnet: the bundle is missing; run `npm run build` (npm install does it for you)\n');
    process.exit(2);
  }
  throw err;
}
// The cache begins with the bundle's first line (its build ID) and a newline.
const firstLine = source.slice(0, source.indexOf('\n') + 1);
let cachedData;
if (!process.env.QNET_WRITE_CODE_CACHE) {
  try {
    const c = fs.readFileSync(cacheFile);
    if (firstLine.length > 1 && c.subarray(0, firstLine.length).toString('latin1') === firstLine) cachedData = c.subarray(firstLine.length);
  } catch {
    /* no cache: compile as usual */
  }
}
const script = new vm.Script(source, {
  filename: file,
  cachedData,
});
if (process.env.QNET_WRITE_CODE_CACHE) {
  // Used by the build only: after a warm-up run, keep what V8 compiled.
  const out = process.env.QNET_WRITE_CODE_CACHE;
  process.once('exit', () => {
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(firstLine, 'latin1'), script.createCachedData()]), { flag: 'wx' });
    fs.renameSync(tmp, out);
  });
}
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
