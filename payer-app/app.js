/*
 * The payer app: the customer's phone for the SEQR emulator. No framework, no build: it calls the emulator's
 * payer API on the same origin (GET /payer/invoices, POST /payer/scan|pay|decline|cancel with { code }) and
 * renders with textContent only (invoice titles and merchant names come from merchants).
 */
(function () {
  'use strict';

  var REFRESH_MS = 1000;
  var STATUS_TEXT = {
    ISSUED: 'Waiting',
    PENDING_ISSUER_ACKNOWLEDGE: 'Merchant checking',
    RESERVED: 'Reserved',
    PAID: 'Paid',
    CANCELED: 'Cancelled',
    FAILED: 'Declined',
    EXPIRED: 'Expired'
  };

  var list = document.getElementById('invoices');
  var message = document.getElementById('message');
  var codeInput = document.getElementById('code');
  var useLoyalty = document.getElementById('use-loyalty');
  var loyaltyFields = document.getElementById('loyalty-fields');
  var canReserve = document.getElementById('can-reserve');

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? 'error' : '';
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function post(action, body) {
    return fetch('/payer/' + action, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) throw new Error(answer.error || ('HTTP ' + response.status));
        return answer;
      });
    });
  }

  function loyaltyToken() {
    if (!useLoyalty.checked) return undefined;
    return {
      id: document.getElementById('loyalty-id').value.trim(),
      value: document.getElementById('loyalty-value').value.trim(),
      description: document.getElementById('loyalty-description').value.trim()
    };
  }

  var DONE = { scan: 'Scanned', pay: 'Paid', decline: 'Declined', cancel: 'Cancelled' };

  /** Runs a payer action on a code and tells what came of it. */
  function act(action, code) {
    if (!code) {
      say('Paste the QR text or a sticker code first.', true);
      return Promise.resolve();
    }
    var body = { code: code };
    if (action === 'scan') {
      var token = loyaltyToken();
      if (token) body.loyaltyToken = token;
    }
    if (action === 'pay') body.canReserve = canReserve.checked;
    return post(action, body).then(function (invoice) {
      var what = action === 'pay' && invoice.status === 'RESERVED' ? 'Reservation approved' : DONE[action];
      say(what + ': ' + invoice.amount + ' ' + invoice.currency + ' at ' + invoice.merchantName + ' (' + (STATUS_TEXT[invoice.status] || invoice.status) + ')', false);
      return refresh();
    }).catch(function (error) {
      say(error.message, true);
    });
  }

  function invoiceItem(invoice) {
    var item = element('li', 'invoice');
    var top = element('div', 'row');
    top.appendChild(element('span', 'merchant', invoice.merchantName));
    top.appendChild(element('span', 'status', STATUS_TEXT[invoice.status] || invoice.status));
    item.appendChild(top);
    var middle = element('div', 'row');
    middle.appendChild(element('span', 'hint', invoice.title || invoice.terminalName));
    middle.appendChild(element('span', 'amount', invoice.amount + ' ' + invoice.currency));
    item.appendChild(middle);
    var reservation = invoice.paymentMode.indexOf('RESERVATION') === 0;
    if (reservation) item.appendChild(element('div', 'hint', 'Reservation: the merchant captures it later'));
    if (invoice.tokens && invoice.tokens.length) {
      item.appendChild(element('div', 'hint', 'Loyalty card: ' + invoice.tokens.map(function (t) { return t.description || t.id; }).join(', ')));
    }
    item.appendChild(element('div', 'hint', 'Ref ' + invoice.invoiceReference));

    var buttons = element('div', 'buttons');
    var actions = invoice.status === 'RESERVED' ? [] : [
      ['scan', 'Scan', ''],
      ['pay', reservation ? 'Approve' : 'Pay', 'primary'],
      ['decline', 'Decline', 'danger'],
      ['cancel', 'Cancel', 'danger']
    ];
    actions.forEach(function (spec) {
      var button = element('button', spec[2], spec[1]);
      button.type = 'button';
      button.setAttribute('data-action', spec[0]);
      button.setAttribute('data-reference', invoice.invoiceReference);
      buttons.appendChild(button);
    });
    if (actions.length) item.appendChild(buttons);
    return item;
  }

  var lastRendered = '';
  function refresh() {
    return fetch('/payer/invoices').then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    }).then(function (invoices) {
      var rendered = JSON.stringify(invoices);
      if (rendered === lastRendered) return; // keep focus and hover when nothing changed
      lastRendered = rendered;
      list.textContent = '';
      if (invoices.length === 0) list.appendChild(element('li', 'empty', 'No open invoices. Charge something at the till.'));
      invoices.forEach(function (invoice) { list.appendChild(invoiceItem(invoice)); });
    }).catch(function () {
      lastRendered = '';
      list.textContent = '';
      list.appendChild(element('li', 'empty', 'The emulator does not answer.'));
    });
  }

  document.getElementById('scan-form').addEventListener('submit', function (event) {
    event.preventDefault();
    act('scan', codeInput.value.trim());
  });
  document.querySelector('#scan-form button[data-action=pay]').addEventListener('click', function () {
    act('pay', codeInput.value.trim());
  });
  list.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-action]');
    if (button) act(button.getAttribute('data-action'), button.getAttribute('data-reference'));
  });
  useLoyalty.addEventListener('change', function () {
    loyaltyFields.className = 'loyalty-fields' + (useLoyalty.checked ? ' shown' : '');
  });

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
