// Entry point: `node --import tsx language-server/src/server/fox-language-server.ts --stdio`
// (the built equivalent is `bin/fox-language-server.js`).
import { startServer } from './main.js';

startServer();
