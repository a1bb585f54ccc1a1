module.exports = require('../dist/nodes/seqr-notification');
