// `node examples/cache-products/dist/main.js`: runs the demo against DATABASE_URL and REDIS_URL.
import { runDemo } from './demo';

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseUrl || !redisUrl) {
  console.error('set DATABASE_URL (postgres://…) and REDIS_URL (redis://…)');
  process.exit(2);
}
runDemo({ databaseUrl, redisUrl }).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
