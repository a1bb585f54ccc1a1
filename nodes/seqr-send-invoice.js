module.exports = require('../dist/nodes/seqr-send-invoice');
