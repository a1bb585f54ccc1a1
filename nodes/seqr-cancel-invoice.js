module.exports = require('../dist/nodes/seqr-cancel-invoice');
