// Mocha's spec reporter plus one closing line `N passed, N failed, N skipped` that CI reads.
// With FOX_TEST_TOTALS=<file>, the counts are also appended there so .ci/run can add up suites.
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const { passes, failures, pending } = runner.stats ?? this.stats;
      const line = `${passes} passed, ${failures} failed, ${pending} skipped`;
      process.stdout.write(`\n${line}\n`);
      if (process.env.FOX_TEST_TOTALS) {
        fs.appendFileSync(process.env.FOX_TEST_TOTALS, `${passes} ${failures} ${pending}\n`);
      }
    });
  }
}

module.exports = SummaryReporter;
