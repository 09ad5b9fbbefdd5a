#!/usr/bin/env tsx
// npm run bench -- [options]: builds kernels, runs the matrix in QEMU guests, writes results/<run-id>/.
import '../lib/last-resort.ts';
import { benchMain } from './bench-main.ts';

await benchMain(process.argv.slice(2), false);
