import assert from 'node:assert/strict';
import {
  NOTIFICATION_KEY_PARAM,
  NOTIFICATION_KEY_PATTERN,
  newNotificationKey,
  notificationEndpointOf,
  publicEndpoint,
  registerNotificationEndpoint,
  routePath,
  unregisterNotificationEndpoint,
  urlWithKey,
} from '../src/nodes/notification-endpoints';

/** Where send invoice finds the notification node of its configuration, and the keys it puts in the URL. */
describe('notification endpoints', function () {
  it('makes 128-bit base64url keys that the callback accepts, a new one each time', function () {
    const keys = new Set(Array.from({ length: 100 }, () => newNotificationKey()));
    assert.equal(keys.size, 100);
    for (const key of keys) {
      assert.match(key, /^[A-Za-z0-9_-]{22}$/);
      assert.match(key, NOTIFICATION_KEY_PATTERN);
    }
    assert.doesNotMatch('short', NOTIFICATION_KEY_PATTERN);
    assert.doesNotMatch('a'.repeat(20) + '&x=1', NOTIFICATION_KEY_PATTERN);
  });

  it('adds the key to the endpoint URL, replacing one already there', function () {
    assert.equal(urlWithKey('https://shop.example/seqr/notify', 'abc'), `https://shop.example/seqr/notify?${NOTIFICATION_KEY_PARAM}=abc`);
    assert.equal(urlWithKey('https://shop.example/n?key=old&x=1', 'new'), 'https://shop.example/n?key=new&x=1');
  });

  it('takes the path as the core http-in node does', function () {
    assert.equal(routePath('seqr/notify'), '/seqr/notify');
    assert.equal(routePath(' /seqr/notify '), '/seqr/notify');
    assert.equal(routePath(''), undefined);
    assert.equal(routePath(undefined), undefined);
    assert.equal(routePath('/seqr notify'), undefined);
  });

  it('joins an http(s) base and the path; no base is no public URL; anything else is refused', function () {
    assert.equal(publicEndpoint('https://shop.example/red/', '/seqr/notify'), 'https://shop.example/red/seqr/notify');
    assert.equal(publicEndpoint(' http://10.0.0.5:1880 ', '/n'), 'http://10.0.0.5:1880/n');
    assert.equal(publicEndpoint('', '/n'), undefined);
    assert.equal(publicEndpoint(undefined, '/n'), undefined);
    for (const base of ['ftp://shop.example', 'shop.example', 'https://shop.example/?a=1', 'https://shop.example/#x']) {
      assert.throws(() => publicEndpoint(base, '/n'), /not an http\(s\) base URL/, base);
    }
  });

  it('finds the one notification node of a configuration, or says why there is none', function () {
    assert.deepEqual(notificationEndpointOf('cfg-a'), { problem: 'none' });
    registerNotificationEndpoint('cfg-a', 'n1', undefined);
    assert.deepEqual(notificationEndpointOf('cfg-a'), { problem: 'no-public-url' });
    registerNotificationEndpoint('cfg-a', 'n1', 'https://shop.example/n');
    assert.deepEqual(notificationEndpointOf('cfg-a'), { url: 'https://shop.example/n' });
    registerNotificationEndpoint('cfg-a', 'n2', 'https://other.example/n');
    assert.deepEqual(notificationEndpointOf('cfg-a'), { problem: 'several' });
    assert.deepEqual(notificationEndpointOf('cfg-b'), { problem: 'none' });
    unregisterNotificationEndpoint('cfg-a', 'n2');
    assert.deepEqual(notificationEndpointOf('cfg-a'), { url: 'https://shop.example/n' });
    unregisterNotificationEndpoint('cfg-a', 'n1');
    unregisterNotificationEndpoint('cfg-a', 'n1');
    assert.deepEqual(notificationEndpointOf('cfg-a'), { problem: 'none' });
  });
});
