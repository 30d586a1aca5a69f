#!/usr/bin/env node
// The Fox language server over stdio / node-ipc / socket (run `npm run build` first).
import { startServer } from '../dist/index.js';

startServer();
