/**
 * Node-RED settings of the `npm start` demo (src/demo/start.ts adds the paths and ports of the run: userDir,
 * nodesDir). Node-RED runs embedded in the launcher's process, so uiPort/uiHost do not apply here: the
 * launcher listens on SEQR_DEMO_HOST:SEQR_DEMO_EDITOR_PORT itself.
 */
const LEVEL_NAMES = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace', 98: 'audit', 99: 'metric' };

module.exports = {
  flowFile: 'flows.json',
  flowFilePretty: true,
  // A demo's secret, in the open on purpose: it only keeps SEQR's public test terminal encrypted in
  // flows_cred.json, the way Node-RED stores credentials. Set your own for anything real.
  credentialSecret: 'seqr-demo-public-test-terminal-only',
  httpAdminRoot: '/',
  httpNodeRoot: '/',
  // No update checks, tours, palette catalogue or telemetry consent: the demo runs offline, and a dialog
  // over the editor would stand in the way of the browser tests.
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  editorTheme: {
    tours: false,
    projects: { enabled: false },
    palette: { catalogues: [] },
    page: { title: 'SEQR demo: Node-RED' },
  },
  // The Node-RED log goes to stderr, so that stdout carries only the launcher's own lines (the URLs).
  logging: {
    console: { level: 'off' },
    stderr: {
      level: 'info',
      metrics: false,
      audit: false,
      handler: () => (msg) => {
        const where = msg.type ? `[${msg.type}:${msg.name || msg.id}] ` : '';
        const text = msg.msg instanceof Error ? msg.msg.message : typeof msg.msg === 'object' ? JSON.stringify(msg.msg) : msg.msg;
        process.stderr.write(`${new Date().toISOString()} [${LEVEL_NAMES[msg.level] || msg.level}] ${where}${text}\n`);
      },
    },
  },
};
