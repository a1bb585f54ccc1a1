export * from './payment-watcher';
