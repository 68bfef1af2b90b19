// Preloaded (node --import) into the CLI and, through execArgv, into its engine child by
// reliability-cli-output.test.ts: makes the ENGINE process hang the way issue 13 saw it, so
// the test can prove a stop request still ends the process.
//   MO_TEST_STALL=read       every open() of an MNIST data file never completes (a blocked read)
//   MO_TEST_STALL=sync:FILE  once FILE exists, the next performance.now() spins forever (a long synchronous step)
import fs from 'node:fs';
const mode = process.env.MO_TEST_STALL || '';
if (typeof process.send === 'function') {
  if (mode === 'read') {
    const open = fs.promises.open;
    fs.promises.open = function (file, ...rest) {
      if (/ubyte/.test(String(file))) {
        process.stderr.write('STALLED-READ\n');
        return new Promise(() => {});
      }
      return open.call(this, file, ...rest);
    };
  } else if (mode.startsWith('sync:')) {
    const flag = mode.slice(5);
    const now = performance.now.bind(performance);
    performance.now = () => {
      if (fs.existsSync(flag)) {
        process.stderr.write('STALLED-SYNC\n');
        for (;;) {
          // a synchronous step that never yields
        }
      }
      return now();
    };
  }
}
