/** Kept at its old path for the code and tests that import it from here; the module lives with the watch journal. */
export { fromStorable, toStorable, type StoredMessage } from '../watcher/storable-message';
