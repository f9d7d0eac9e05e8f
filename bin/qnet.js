#!/usr/bin/env node
import('../dist/qnet.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('qnet: the bundle is missing; run `npm run build` (npm install does it for you)\n');
    process.exit(2);
  }
  throw err;
});
