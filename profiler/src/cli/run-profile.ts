/** Direct entry: `node profiler/dist/cli.js -- node app.js` (the `fox` bin calls {@link main}). */
import { main } from './profile.js';

process.exitCode = await main(process.argv.slice(2));
