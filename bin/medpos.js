#!/usr/bin/env node
// Runs the TypeScript sources directly, so the bin is always the code in the tree.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
