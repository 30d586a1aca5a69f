#!/usr/bin/env node
// The one `fox` command. Subcommands live in the packages that own them and are loaded on
// demand, so @fox/sdk itself depends on none of them: `fox analyze` needs
// @fox/language-server installed, `fox profile` needs @fox/profiler. Each entry names the
// module (a package or one of its entries) and the exported function that takes the remaining
// argv and returns an exit code.

const COMMANDS = {
  analyze: {
    pkg: '@fox/language-server',
    fn: 'analyzeMain',
    about: 'analyse a project: fox analyze [dir] --format text|json|sarif',
  },
  profile: {
    pkg: '@fox/profiler',
    fn: 'profileMain',
    about: 'run a program with the live profiler: fox profile -- node app.js',
  },
  approvals: {
    pkg: '@fox/sdk/cli',
    fn: 'approvalsMain',
    about: 'review runtime change proposals: fox approvals list|show|approve|reject',
  },
  audit: {
    pkg: '@fox/sdk/cli',
    fn: 'auditMain',
    about: 'check or export the tamper-evident audit log: fox audit verify|export',
  },
  chaos: {
    pkg: '@fox/sdk/cli',
    fn: 'chaosMain',
    about: 'chaos experiments: fox chaos run exp.json -- node app.js | fox chaos kill [--clear]',
  },
  flows: {
    pkg: '@fox/sdk/cli',
    fn: 'flowsMain',
    about: 'durable flow runs: fox flows list | show RUN | resume RUN',
  },
  tune: {
    pkg: '@fox/sdk/cli',
    fn: 'tuneMain',
    about: "the tuner's lineage: fox tune status|history|export [TASK] [--json]",
  },
  worker: {
    pkg: '@fox/sdk/cli',
    fn: 'workerMain',
    about: 'run dfox jobs: fox worker --queue NAME [--concurrency N] [--root DIR]',
  },
};

function help() {
  const lines = ['usage: fox <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.about}`);
  return lines.join('\n');
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(help());
  process.exit(name ? 0 : 2);
}
const command = COMMANDS[name];
if (!command) {
  console.error(`fox: unknown command '${name}'\n\n${help()}`);
  process.exit(2);
}
let mod;
try {
  mod = await import(command.pkg);
} catch (err) {
  // Only the package itself missing ("Cannot find package '@fox/x'"); a file missing inside an
  // installed package is a broken install, and its own error says which file.
  if (
    err &&
    err.code === 'ERR_MODULE_NOT_FOUND' &&
    String(err.message).includes(`'${command.pkg}'`)
  ) {
    console.error(`fox ${name}: needs ${command.pkg}; install it with npm i -D ${command.pkg}`);
    process.exit(2);
  }
  throw err;
}
process.exitCode = await mod[command.fn](args);
