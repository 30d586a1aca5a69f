// Preloaded (`node --import`) into a benchmarked program that is not ours to change (the demo):
// prints the process's own CPU time when it exits, as one JSON line on stderr.
process.once('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`${JSON.stringify({ foxBenchCpuMs: (user + system) / 1000 })}\n`);
});
