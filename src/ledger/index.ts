export * from './ledger-store';
export * from './payment-ledger';
export * from './ledger-watches';
export * from './open-ledgers';
export { FileLedgerStore } from './file-ledger-store';
export { MemoryLedgerStore } from './memory-ledger-store';
