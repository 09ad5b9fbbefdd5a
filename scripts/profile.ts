#!/usr/bin/env tsx
// npm run profile -- [bench options]: the same run with every guest profiled (profiler/), once per scenario by default.
import '../lib/last-resort.ts';
import { benchMain } from './bench-main.ts';

await benchMain(process.argv.slice(2), true);
