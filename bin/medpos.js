#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (`npm run build`). In a source checkout whose dist/ is missing
// or older than the sources (or with MEDPOS_SOURCE=1), runs the TypeScript sources through tsx
// instead (a development dependency), so the bin is never stale code.
import { builtIsCurrent } from './build-state.js';

if (process.env.MEDPOS_SOURCE !== '1' && builtIsCurrent()) {
  await import('../dist/src/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
