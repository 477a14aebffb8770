/** The in-memory store passes the same contract as the DynamoDB store. */
import { InMemoryIncidentStore, InMemoryWatchStore } from '../../src/store/in-memory-store';
import { storeContract } from '../support/store-contract';

describe('in-memory store', () => {
  storeContract(async (now) => {
    const store = new InMemoryIncidentStore(now);
    return {
      store,
      watches: new InMemoryWatchStore(),
      plantKeyLock: async (keyId, incidentId, at) => store.plantKeyLock(keyId, incidentId, at),
      close: async () => undefined,
    };
  }, { atomicConcurrentWrites: true });
});
