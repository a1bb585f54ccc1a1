// Runs the SEQR emulator in its own process for the benchmarks, so its CPU is not counted as the client's.
// `forkEmulator()` forks this file with an IPC channel; the child sends { url, baseUrl } when listening and
// stops when the parent disconnects (or dies: the IPC channel closes with it). `createInvoices(child, n)` has
// the child send n invoices to itself through a SeqrClient (no payer: they stay ISSUED), so that the parent's
// memory and CPU figures hold only what it measures. `pay(child, reference)` has the child's payer pay an invoice.
const { fork } = require('node:child_process');
const { performance } = require('node:perf_hooks');

/** Forks the emulator; resolves with { child, url, baseUrl } once it listens. */
function forkEmulator() {
  const child = fork(require('node:path').join(__dirname, 'emulator-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, url: message.url, baseUrl: message.baseUrl }));
    child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
  });
}

/**
 * The payer pays `reference` in the emulator's process; resolves with the time the payer tapped "pay" (epoch ms,
 * sub-millisecond: performance.timeOrigin + performance.now(), comparable across processes on one machine).
 */
function pay(child, reference) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.paid !== reference) return;
      child.off('message', onMessage);
      if (message.error) reject(new Error(message.error));
      else resolve(message.at);
    };
    child.on('message', onMessage);
    child.send({ pay: reference });
  });
}

/** Resolves with the references of `count` new ISSUED invoices (public test terminal). */
function createInvoices(child, count) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.references) resolve(message.references);
      else if (message.error) reject(new Error(message.error));
      else return;
      child.off('message', onMessage);
    };
    child.on('message', onMessage);
    child.send({ createInvoices: count });
  });
}

/** Resolves with the emulator process's process.cpuUsage() (µs), to count the emulator's side of a bench. */
function cpuUsage(child) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message.cpuUsage === undefined) return;
      child.off('message', onMessage);
      resolve(message.cpuUsage);
    };
    child.on('message', onMessage);
    child.send({ cpuUsage: true });
  });
}

module.exports = { forkEmulator, createInvoices, pay, cpuUsage };

if (require.main === module) {
  const { startEmulator } = require('../dist/emulator');
  const { SeqrClient, buildInvoice, PUBLIC_TEST_TERMINAL } = require('../dist');

  /** Sends `count` invoices, 20 at a time. */
  const sendInvoices = async (url, count) => {
    const client = new SeqrClient({ endpoint: url, principal: { type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL } });
    const references = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const n = next++;
        const { invoiceReference } = await client.sendInvoice(buildInvoice('10.00', { currency: 'SEK', title: `bench ${n}` }));
        references.push(invoiceReference);
      }
    };
    try {
      await Promise.all(Array.from({ length: 20 }, worker));
      return references;
    } finally {
      client.close();
    }
  };

  startEmulator({ port: 0 }).then(
    (emulator) => {
      process.on('message', (message) => {
        if (message.pay !== undefined) {
          const at = performance.timeOrigin + performance.now();
          emulator.payer.pay(message.pay).then(
            () => process.send({ paid: message.pay, at }),
            (error) => process.send({ paid: message.pay, error: error.message }),
          );
          return;
        }
        if (message.cpuUsage !== undefined) {
          process.send({ cpuUsage: process.cpuUsage() });
          return;
        }
        if (message.createInvoices === undefined) return;
        sendInvoices(emulator.url, message.createInvoices).then(
          (references) => process.send({ references }),
          (error) => process.send({ error: error.message }),
        );
      });
      process.send({ url: emulator.url, baseUrl: emulator.baseUrl });
      process.on('disconnect', () => emulator.stop().then(() => process.exit(0)));
    },
    (error) => {
      console.error(`emulator: ${error.message}`);
      process.exit(1);
    },
  );
}
