#!/usr/bin/env node
// `fox-analyze [dir] --format text|json|sarif` — the built CLI (run `npm run build` first).
import { analyzeMain } from '../dist/index.js';

process.exitCode = await analyzeMain(process.argv.slice(2));
