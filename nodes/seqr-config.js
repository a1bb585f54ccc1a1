module.exports = require('../dist/nodes/seqr-config');
