-- Up Migration

-- Profiles. `version` is bumped by a trigger on every UPDATE, so no code path (nor a hand-written
-- query) can change a row without the cache and the events learning a newer version.
CREATE TABLE users.users (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(email)),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  bio text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 1000),
  version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users.users (email);

CREATE FUNCTION users.bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER users_bump_version BEFORE UPDATE ON users.users
  FOR EACH ROW EXECUTE FUNCTION users.bump_version();

-- Transactional outbox: written in the same transaction as the row change, published to the
-- `user-events` stream by the worker's relay, kept for a retention period after publishing because the
-- cache's recovery sweep reads it after a Redis outage (see README "Recovery after a Redis outage").
CREATE TABLE users.outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL CHECK (type IN ('user.created', 'user.updated', 'user.deleted')),
  user_id uuid NOT NULL,
  version bigint NOT NULL CHECK (version >= 1),
  traceparent text,
  tracestate text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON users.outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_created_at_idx ON users.outbox (created_at);

-- Wakes the relay at commit time (NOTIFY is delivered on COMMIT only); polling stays as the fallback.
CREATE FUNCTION users.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('users_outbox', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON users.outbox
  FOR EACH STATEMENT EXECUTE FUNCTION users.notify_outbox();

-- Down Migration
DROP TABLE users.outbox;
DROP FUNCTION users.notify_outbox();
DROP TABLE users.users;
DROP FUNCTION users.bump_version();
