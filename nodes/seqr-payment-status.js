module.exports = require('../dist/nodes/seqr-payment-status');
