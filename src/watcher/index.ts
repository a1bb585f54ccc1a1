export * from './payment-watcher';
export * from './watch-registry';
