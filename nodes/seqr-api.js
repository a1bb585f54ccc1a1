module.exports = require('../dist/nodes/seqr-api');
