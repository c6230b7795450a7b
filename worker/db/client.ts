import { sql } from 'drizzle-orm'
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1'

/**
 * The query modules beside this file are the only code that talks SQL to D1: one module per
 * table, typed from `schema.ts`. Callers pass the D1 binding (`env.DB`) and get plain rows.
 */

const clients = new WeakMap<D1Database, DrizzleD1Database>()

/** drizzle over a D1 binding, made once per binding rather than on every query. */
export function orm(db: D1Database): DrizzleD1Database {
  let client = clients.get(db)
  if (!client) {
    client = drizzle(db)
    clients.set(db, client)
  }
  return client
}

/** Whether D1 answers a trivial query (the health check's round trip). */
export async function reachable(db: D1Database): Promise<boolean> {
  try {
    const row = await orm(db).get<{ ok: number }>(sql`select 1 as ok`)
    return row?.ok === 1
  } catch {
    return false
  }
}

/** The statements of one D1 batch: they run in one transaction, in one round trip. */
export type BatchStatements = Parameters<DrizzleD1Database['batch']>[0]

/** Run statements built by the query modules as one D1 batch. */
export function batch(db: D1Database, statements: BatchStatements) {
  return orm(db).batch(statements)
}
