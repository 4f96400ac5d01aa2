import { MemoryStore } from '../src/index.js';
import { storeContract } from './storeContract.js';

storeContract('MemoryStore', { makeStore: () => new MemoryStore() });
