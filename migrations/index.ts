/**
 * The ordered list of schema migrations, shared by embedded PGlite and native Postgres. Add a file
 * named `NNNN_what.ts` exporting `up(db)` and list it here; never edit one that has shipped.
 */
import * as m0001 from './0001_extensions.ts';
import * as m0002 from './0002_event_store.ts';
import * as m0003 from './0003_crypto.ts';
import * as m0004 from './0004_event_store_append_fn.ts';

export const migrations = {
  '0001_extensions': m0001,
  '0002_event_store': m0002,
  '0003_crypto': m0003,
  '0004_event_store_append_fn': m0004,
};
