// A stand-in sweep worker for test/unit/sweep-pool.test.ts: speaks the worker protocol of
// src/engine/jobs/sweepMessages.ts, and behaves by the point's name:
//   slow-*  three events 500 ms apart, then done;   fast-*  three events at once, then done;
//   crash-* one event, then exits with code 3;       stuck-* one event, then ignores cancel;
//   bad-*   one event, then fails with bad input.
// With FAKE_INIT_FAIL set, the worker fails its init (as a worker whose backend cannot start).
// Every event is a log line '<name> <n>' so the test can check the order they arrive in.
if (!process.argv.includes('--sweep-worker') || !process.send) {
  process.exit(2);
}
let stuck = false;
const send = (m) => process.send(m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (index, message) => send({ type: 'activity', index, activity: { kind: 'event', event: { type: 'log', level: 'info', message } } });

async function run(point) {
  const { index, name } = point;
  if (name.startsWith('crash')) {
    log(index, `${name} 1`);
    process.exit(3);
  }
  if (name.startsWith('bad')) {
    log(index, `${name} 1`);
    send({ type: 'pointFailed', index, code: 'bad-input', message: `${name}: the user's to fix`, where: 'm.json: prune' });
    return;
  }
  if (name.startsWith('stuck')) {
    stuck = true;
    log(index, `${name} 1`);
    setInterval(() => undefined, 1000);
    return;
  }
  for (let i = 1; i <= 3; i++) {
    log(index, `${name} ${i}`);
    send({ type: 'activity', index, activity: { kind: 'timing', phase: 'prune', ms: 1 } });
    if (name.startsWith('slow')) {
      await sleep(500);
    }
  }
  send({ type: 'activity', index, activity: { kind: 'stageRecord', record: { stage: 'prune', model: name, epochs: [], durationMs: 1 } } });
  send({ type: 'pointDone', index, result: { rows: [] }, maxRssBytes: 1 });
}

process.on('message', (m) => {
  if (m.type === 'init' && process.env.FAKE_INIT_FAIL) {
    send({ type: 'initFailed', message: 'no backend here' });
    setTimeout(() => process.exit(1), 20);
  } else if (m.type === 'init') {
    send({ type: 'inited', cpuMs: 0 });
  } else if (m.type === 'point') {
    void run(m.point);
  } else if (m.type === 'cancel' && !stuck) {
    process.exit(0);
  }
});
process.on('disconnect', () => {
  if (!stuck) {
    process.exit(0);
  }
});
send({ type: 'ready', pid: process.pid });
