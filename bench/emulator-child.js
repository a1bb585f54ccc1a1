// Runs the SEQR emulator in its own process for the benchmarks, so its CPU is not counted as the client's.
// Forked with an IPC channel: sends { url } when listening, stops when the parent disconnects.
const { startEmulator } = require('../dist/emulator');

startEmulator({ port: 0 }).then(
  (emulator) => {
    process.send({ url: emulator.url, baseUrl: emulator.baseUrl });
    process.on('disconnect', () => emulator.stop().then(() => process.exit(0)));
  },
  (error) => {
    console.error(`emulator: ${error.message}`);
    process.exit(1);
  },
);
