import { describeFaultSuite } from './helpers/fault-suite';

// The fault suite's answers phases, after the fault-free baseline (test/helpers/fault-suite.ts).
describeFaultSuite('answers');
