// Entry of an in-band worker thread (inband-pool.ts starts it with no inherited execArgv): the
// TypeScript sources run through tsx here as in the bins, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('./inband-worker.ts');
