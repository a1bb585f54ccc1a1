import assert from 'node:assert/strict';
import { httpUrl, settingText } from '../src/values';

/** The value checks every layer shares (src/values.ts). */
describe('values', function () {
  describe('httpUrl: the one http(s) URL check', function () {
    it('gives the parsed URL of an absolute http:// or https:// URL', function () {
      assert.equal(httpUrl('http://127.0.0.1:8090/soap/merchant/cashregister-2')?.port, '8090');
      assert.equal(httpUrl('HTTPS://Shop.Example/paid?x=1')?.href, 'https://shop.example/paid?x=1');
      assert.equal(httpUrl('https://[::1]:8443/')?.hostname, '[::1]');
    });

    it('refuses other schemes, relative or broken URLs, and anything not text', function () {
      for (const value of ['ftp://shop.example/x', 'file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@b.c', '/soap', 'shop.example', 'http://', '', ' ', undefined, null, 42, {}, ['http://a.example']]) {
        assert.equal(httpUrl(value), undefined, JSON.stringify(value));
      }
    });
  });

  describe('settingText', function () {
    it('trims text, writes numbers out, and takes empty or anything else as not set', function () {
      assert.equal(settingText('  SEK '), 'SEK');
      assert.equal(settingText(9900), '9900');
      assert.equal(settingText('   '), undefined);
      assert.equal(settingText(''), undefined);
      assert.equal(settingText(undefined), undefined);
      assert.equal(settingText(true), undefined);
      assert.equal(settingText({ value: 'x' }), undefined);
    });
  });
});
