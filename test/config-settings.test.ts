import assert from 'node:assert/strict';
import type { NodeAPI } from 'node-red';
import { passwordDestination, readSettings } from '../src/nodes/config-settings';
import type { SeqrConfigDef } from '../src/nodes/config-types';
import { CONFIG_LIMITS } from '../src/nodes/shared-limits';
import { DEFAULT_CHANNEL, DEFAULT_CLIENT_ID, DEFAULT_MAX_ANSWER_BYTES, DEFAULT_TIMEOUT_MS } from '../src/seqr';
import { translate } from './helpers/node-red';

/** The seqr-config settings as client options, or the first problem (config-settings.ts), with the real catalog. */
describe('seqr-config settings', function () {
  const RED = { _: translate } as unknown as NodeAPI;
  const credentials = { principalId: 'till-1', password: 'pw' };
  const def = (settings: Partial<SeqrConfigDef> = {}): SeqrConfigDef => ({ id: 'c1', type: 'seqr-config', name: '', z: '', ...settings }) as SeqrConfigDef;

  it('fills in every default for an empty form: the emulator, a terminal, WS, 10 s, 4 MiB', function () {
    const { options, problem } = readSettings(RED, def(), credentials, 'till');
    assert.equal(problem, undefined);
    assert.deepEqual(options, {
      endpoint: CONFIG_LIMITS.defaultEndpoint,
      principal: { type: 'TERMINALID', id: 'till-1', password: 'pw' },
      clientId: DEFAULT_CLIENT_ID,
      channel: DEFAULT_CHANNEL,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      maxAnswerBytes: DEFAULT_MAX_ANSWER_BYTES,
    });
  });

  it('makes a reseller principal with the default user id, and TLS options for https (checks on unless turned off)', function () {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const reseller = readSettings(RED, def({ principalType: 'RESELLERUSER', endpoint: 'https://seqr.example/soap', ca: ` ${ca} ` }), credentials, 'r');
    assert.deepEqual(reseller.options?.principal, { type: 'RESELLERUSER', id: 'till-1', userId: CONFIG_LIMITS.defaultResellerUserId, password: 'pw' });
    assert.deepEqual(reseller.options?.tls, { rejectUnauthorized: true, ca });
    const unchecked = readSettings(RED, def({ endpoint: 'https://seqr.example/soap', verifyServerCert: false }), credentials, 'r');
    assert.deepEqual(unchecked.options?.tls, { rejectUnauthorized: false });
  });

  it('takes the bounds of timeout and answer size from the shared limits, inclusive', function () {
    const { timeoutMs, maxAnswerKiB } = CONFIG_LIMITS;
    assert.equal(readSettings(RED, def({ timeout: timeoutMs.min }), credentials, 'l').options?.timeoutMs, timeoutMs.min);
    assert.equal(readSettings(RED, def({ timeout: String(timeoutMs.max) }), credentials, 'l').options?.timeoutMs, timeoutMs.max);
    assert.equal(readSettings(RED, def({ maxAnswerKiB: maxAnswerKiB.min }), credentials, 'l').options?.maxAnswerBytes, maxAnswerKiB.min * 1024);
    for (const [settings, field] of [
      [{ timeout: timeoutMs.min - 1 }, 'timeout'],
      [{ timeout: timeoutMs.max + 1 }, 'timeout'],
      [{ timeout: '1500.5' }, 'timeout'],
      [{ maxAnswerKiB: maxAnswerKiB.max + 1 }, 'maxAnswerKiB'],
      [{ channel: 'c'.repeat(CONFIG_LIMITS.maxChannelLength + 1) }, 'channel'],
    ] as const) {
      assert.equal(readSettings(RED, def(settings), credentials, 'l').problem?.field, field, JSON.stringify(settings));
    }
  });

  it('names the first problem in the order of the form, with the configuration, the field and the fix', function () {
    const cases: Array<[Partial<SeqrConfigDef>, Record<string, string>, string, RegExp]> = [
      [{ endpoint: 'ftp://seqr.example/soap' }, credentials, 'endpoint', /not an http:\/\/ or https:\/\/ URL/],
      [{ endpoint: 'http://seqr.example/soap?wsdl' }, credentials, 'endpoint', /wsdl/i],
      [{}, { password: 'pw' }, 'principalId', /terminal/i],
      [{ principalType: 'RESELLERUSER' }, { password: 'pw' }, 'principalId', /reseller/i],
      [{}, { principalId: 'till-1' }, 'password', /password/i],
      [{ ca: 'not a certificate' }, credentials, 'ca', /certificate|PEM/i],
      [{ appScheme: '1seqr' }, credentials, 'appScheme', /scheme/i],
    ];
    for (const [settings, given, field, says] of cases) {
      const { problem } = readSettings(RED, def(settings), given, 'shop till');
      assert.equal(problem?.field, field, JSON.stringify(settings));
      assert.match(problem!.message, says);
      assert.match(problem!.message, /shop till/);
      assert.ok(problem!.status.length < 40, problem!.status);
      assert.doesNotMatch(problem!.message, /\bpw\b/);
    }
  });

  it('passwordDestination: one text per server that would receive the password', function () {
    assert.equal(passwordDestination({}), passwordDestination({ endpoint: ` ${CONFIG_LIMITS.defaultEndpoint} ` }));
    assert.equal(passwordDestination({ endpoint: 'http://a.example/soap' }), JSON.stringify(['http://a.example/soap']));
    const https = { endpoint: 'https://a.example/soap', ca: 'X' };
    assert.notEqual(passwordDestination(https), passwordDestination({ ...https, verifyServerCert: false }));
    assert.notEqual(passwordDestination(https), passwordDestination({ ...https, ca: 'Y' }));
    assert.equal(passwordDestination(https), passwordDestination({ ...https, verifyServerCert: true, ca: ' X ' }));
    assert.equal(passwordDestination({ endpoint: 'ftp://a.example/soap' }), undefined);
    assert.equal(passwordDestination({ endpoint: 'no url' }), undefined);
  });
});
