// Node-RED embedded in a benchmark's process, quiet, loading this package's nodes (nodesDir: the repo root).
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.join(__dirname, '..');

/**
 * Starts Node-RED with `flows` and their `credentials` and resolves once the flows run. No editor; with
 * `httpNode: true` the HTTP-in endpoints (RED.httpNode) are served on 127.0.0.1 at a free port, given as `url`
 * and, for the flows (a property set to `${SEQR_BENCH_HTTP_URL}`), in that environment variable.
 */
async function startNodeRed(flows, credentials, { httpNode = false } = {}) {
  const RED = require('node-red');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqr-bench-'));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    nodesDir: [REPO_ROOT],
    httpAdminRoot: false,
    httpNodeRoot: httpNode ? '/' : false,
    telemetry: { enabled: false },
    editorTheme: { tours: false, palette: { catalogues: [] } },
    logging: { console: { level: process.env.BENCH_LOG || 'warn', metrics: false, audit: false } },
  });
  let url;
  if (httpNode) {
    server.on('request', RED.httpNode);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${server.address().port}`;
    process.env.SEQR_BENCH_HTTP_URL = url;
  }
  // RED.start() resolves before the flows run: wait for them.
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await flowsStarted;
  return {
    RED,
    url,
    async stop() {
      await RED.stop();
      if (httpNode) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startNodeRed };
