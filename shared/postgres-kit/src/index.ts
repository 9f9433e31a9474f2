export { Database, type Transaction } from './database';
export { classifyDbError, DatabaseUnavailableError, isUnavailable, isUniqueViolation } from './db-errors';
export { runSchemaMigrations, type SchemaMigrationOptions } from './migrations';
export { createPool, type PoolOptions } from './pool';
