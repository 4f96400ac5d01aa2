// A TypeScript consumer that installed sluice alone (no optional peer: no ioredis, express or fastify) and checks
// its libraries' declarations too (skipLibCheck off): the core's types must not need a peer.
import { MemoryStore, RateLimiter } from 'sluice';

const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h', store: new MemoryStore() });
const allowed: boolean = limiter.consumeSync('k').allowed;
if (!allowed || limiter.consumeSync('k').allowed) throw new Error('wrong decisions');
console.log(`${process.argv[2] ?? 'core only'}: type-checked and ran`);
