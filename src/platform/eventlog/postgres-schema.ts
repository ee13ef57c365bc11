import type pg from 'pg'
import { jobsMigration } from './postgres-jobs-schema.js'
import { inTransaction } from './postgres-transaction.js'

// The PostgreSQL event log's schema, created and migrated when a log opens. Each migration runs once, in order,
// and is recorded in schema_version; a database migrated by newer code is refused rather than misread.
//
// Positions come from one head row, not from a sequence: a sequence hands out numbers outside the transaction, so
// a rolled-back append leaves a hole and commit order can differ from number order. Every append transaction locks
// the head row first and numbers its events from it; PostgreSQL makes a transaction visible before it releases
// its locks, so a reader always sees a prefix of the log, without holes.
//
// A whole group commit is one call of lod_append_batch: the head row's lock is held for every round trip inside
// the transaction, so the appends of a batch are checked and written by the server, each on its own (a refused
// one writes nothing and leaves the others be), and come back as one result each:
//   {"written": {"nextVersion", "position"}}  the append is stored
//   {"retried": {"nextVersion", "position"}}  its event ids were stored already by this very append: no-op
//   {"duplicate": eventId}                    an event id is stored already, elsewhere
//   {"conflict": actualVersion}               the expected version did not match
//   {"keyReused": true}                       the idempotency key is stored already
//   {"leaseLost": true}                       the job appending lost its lease (version 2, postgres-jobs-schema.ts)
// An append is {"stream", "expected": n | "any" | "no_stream", "events": [{"id", "type", "typeVersion",
// "data", "metadata"}], "idempotency"?: {"scope", "key", "fingerprint", "statusCode", "body"}}, with data and
// metadata as JSON text: they are stored as that text, exactly as the SQLite log stores them.

/** The channel a commit notifies, with the new head position as its payload. */
export const commitChannel = 'lod_log'

/** Serializes the migrations of logs opening the same database at once (a transaction-level lock). */
const migrationLock = 0x6c6f645f6c6f67n

const migrations: readonly string[] = [
  `
CREATE TABLE log_head (
  id       integer PRIMARY KEY CHECK (id = 1),
  position bigint NOT NULL
);
INSERT INTO log_head (id, position) VALUES (1, 0);

CREATE TABLE events (
  position     bigint PRIMARY KEY,
  event_id     text NOT NULL UNIQUE,
  stream       text NOT NULL,
  version      integer NOT NULL,
  type         text NOT NULL,
  type_version integer NOT NULL,
  data         text NOT NULL,
  metadata     text NOT NULL,
  time         timestamptz NOT NULL,
  UNIQUE (stream, version)
);

CREATE TABLE idempotency (
  scope       text NOT NULL,
  key         text NOT NULL,
  fingerprint text NOT NULL,
  status_code integer NOT NULL,
  body        text NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE FUNCTION lod_append(request jsonb, head bigint, committed_at timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  target text := request->>'stream';
  expected jsonb := request->'expected';
  appended jsonb := request->'events';
  n integer := jsonb_array_length(request->'events');
  key_record jsonb := request->'idempotency';
  first_version integer;
  stored integer := 0;
  in_place integer := 0;
  first_stored text;
  last_position bigint;
  found_stream text;
  found_version integer;
  found_position bigint;
  at_version integer;
BEGIN
  -- Checked before anything is written, so that a refused append needs no savepoint. One lookup by id per event:
  -- a join would be planned for the hundred rows a set-returning function is assumed to give, and scan the table.
  FOR i IN 0 .. n - 1 LOOP
    SELECT e.stream, e.version, e.position INTO found_stream, found_version, found_position
      FROM events e WHERE e.event_id = appended->i->>'id';
    CONTINUE WHEN NOT FOUND;
    stored := stored + 1;
    first_stored := coalesce(first_stored, appended->i->>'id');
    IF i = 0 THEN
      first_version := found_version;
    END IF;
    IF found_stream = target AND found_version = first_version + i THEN
      in_place := in_place + 1;
    END IF;
    last_position := found_position;
  END LOOP;
  IF stored > 0 THEN
    IF in_place = n THEN
      RETURN jsonb_build_object('retried', jsonb_build_object('nextVersion', first_version + n - 1, 'position', last_position));
    END IF;
    RETURN jsonb_build_object('duplicate', first_stored);
  END IF;

  SELECT coalesce(max(e.version), -1) INTO at_version FROM events e WHERE e.stream = target;
  IF (expected = '"no_stream"' AND at_version <> -1) OR (jsonb_typeof(expected) = 'number' AND at_version <> expected::integer) THEN
    RETURN jsonb_build_object('conflict', at_version);
  END IF;

  IF key_record IS NOT NULL THEN
    INSERT INTO idempotency (scope, key, fingerprint, status_code, body)
      VALUES (key_record->>'scope', key_record->>'key', key_record->>'fingerprint', (key_record->>'statusCode')::integer,
              key_record->>'body')
      ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('keyReused', true);
    END IF;
  END IF;

  INSERT INTO events (position, event_id, stream, version, type, type_version, data, metadata, time)
    SELECT head + a.ord, a.event->>'id', target, at_version + a.ord, a.event->>'type', (a.event->>'typeVersion')::integer,
           a.event->>'data', a.event->>'metadata', committed_at
    FROM jsonb_array_elements(appended) WITH ORDINALITY AS a(event, ord);
  RETURN jsonb_build_object('written', jsonb_build_object('nextVersion', at_version + n, 'position', head + n));
END
$$;

CREATE FUNCTION lod_append_batch(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  head bigint;
  old_head bigint;
  committed_at timestamptz;
  request jsonb;
  result jsonb;
  results jsonb[] := '{}';
BEGIN
  -- Every append transaction waits here for the one before it to commit.
  SELECT position INTO head FROM log_head WHERE id = 1 FOR UPDATE;
  old_head := head;
  -- Read under the lock: commit times follow positions, whichever node appends.
  committed_at := date_trunc('milliseconds', clock_timestamp());
  FOR request IN SELECT value FROM jsonb_array_elements(batch) LOOP
    result := lod_append(request, head, committed_at);
    IF result ? 'written' THEN
      head := (result->'written'->>'position')::bigint;
    END IF;
    results := results || result;
  END LOOP;
  IF head > old_head THEN
    UPDATE log_head SET position = head WHERE id = 1;
    PERFORM pg_notify('${commitChannel}', head::text);
  END IF;
  RETURN jsonb_build_object('time', floor(extract(epoch FROM committed_at) * 1000), 'results', to_jsonb(results));
END
$$;
`,
  jobsMigration,
]

/** The version of the schema this code makes. */
export const schemaVersion = migrations.length

/** Creates the schema or brings it up to this code's version; logs opening the same database at once migrate it once. */
export async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock.toString()])
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    )
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_version')
    const current = rows[0]?.version ?? 0
    if (current > schemaVersion)
      throw new Error(`the event log's schema is at version ${current}, this code knows versions up to ${schemaVersion}: upgrade it`)
    for (let version = current + 1; version <= schemaVersion; version++) {
      await client.query(migrations[version - 1]!)
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [version])
    }
  })
}
