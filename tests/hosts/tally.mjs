// The host suites' pass/fail count: check() records one assertion (printing a failure with its
// detail), finish() prints "NAME: P passed, F failed" and exits 0 only when nothing failed.
export function tally(name) {
  let passed = 0;
  let failed = 0;
  return {
    check(ok, what, detail) {
      if (ok) passed++;
      else {
        failed++;
        console.log(`  FAIL ${what}`, detail === undefined ? "" : JSON.stringify(detail).slice(0, 2000));
      }
    },
    finish() {
      console.log(`${name}: ${passed} passed, ${failed} failed`);
      process.exit(failed === 0 ? 0 : 1);
    },
  };
}
