import { sql, type Kysely } from 'kysely';

// pgvector backs the vector store; requiring it from the first migration means a database without
// it fails at start-up with a clear error instead of on the first vector request.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists vector`.execute(db);
}
