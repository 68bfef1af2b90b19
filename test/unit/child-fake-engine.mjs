// A stand-in for dist/engine.js that misbehaves on purpose, to test EngineProcess's handling
// of crashes and hangs without training anything. Behaviour from FAKE_ENGINE_MODE:
//   crash: after `start`, write to stderr and exit with code 3 (no terminal event)
//   hang:  after `start`, ignore `cancel` forever (EngineProcess must kill it)
//   done:  after `start`, send jobStarted-less done and exit 0
const mode = process.env.FAKE_ENGINE_MODE;
process.on('message', (msg) => {
  if (msg.type === 'start') {
    if (mode === 'crash') {
      process.stderr.write('fake engine: simulated fatal error\n');
      process.exit(3);
    } else if (mode === 'done') {
      process.send({ type: 'done', runId: msg.runId, durationMs: 1, testAccuracy: {}, recordPath: 'runs/x.json' }, () => process.exit(0));
    } else {
      setInterval(() => {}, 1000);
    }
  }
});
process.send({ type: 'ready', pid: process.pid });
