/**
 * A real MQTT broker for the tests: Debian's mosquitto (/usr/sbin/mosquitto; `.ci/run` installs it when missing)
 * on a free loopback port with a temporary configuration, and a subscriber made with the MQTT client Node-RED's
 * own mqtt nodes use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { requireFromNodeRed } from './node-red-runtime';

export const MOSQUITTO = process.env.SEQR_MOSQUITTO || '/usr/sbin/mosquitto';

export interface Broker {
  port: number;
  url: string;
  /** The messages published on `topic` from now on, as text, in order. */
  subscribe(topic: string): Promise<{ messages: Array<{ payload: string; at: number }>; close(): Promise<void> }>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface MqttClient {
  on(event: 'message', listener: (topic: string, payload: Buffer) => void): void;
  on(event: 'connect' | 'error', listener: (arg?: unknown) => void): void;
  subscribe(topic: string, options: { qos: 0 | 1 }, callback: (err?: Error | null) => void): void;
  end(force: boolean, options: Record<string, never>, callback: () => void): void;
}

/** Starts mosquitto on 127.0.0.1 and a free port; throws saying how to install it when it is missing. */
export async function startMosquitto(): Promise<Broker> {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(`${MOSQUITTO} is missing: apt-get install -y mosquitto (.ci/run does), or set SEQR_MOSQUITTO`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'seqr-mosquitto-'));
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let tries = 0; !(await accepts(port)); tries++) {
    if (tries > 100 || child.exitCode !== null) {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = `mqtt://127.0.0.1:${port}`;
  const mqtt = requireFromNodeRed('mqtt') as { connect(url: string, options: Record<string, unknown>): MqttClient };
  return {
    port,
    url,
    async subscribe(topic) {
      const client = mqtt.connect(url, { reconnectPeriod: 0 });
      const messages: Array<{ payload: string; at: number }> = [];
      client.on('message', (_topic, payload) => messages.push({ payload: payload.toString(), at: Date.now() }));
      await new Promise<void>((resolve, reject) => {
        client.on('error', reject);
        client.on('connect', () => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      });
      // end() with a callback: Node-RED 3.1 ships mqtt 4, which has no endAsync().
      return { messages, close: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())) };
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
