module.exports = require('../dist/nodes/seqr-refund');
