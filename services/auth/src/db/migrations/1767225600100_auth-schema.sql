-- Up Migration

-- Credentials and the account facts sessions depend on. `id` is the user id (the user service's profile id,
-- generated here at registration). `revision` is bumped by a trigger whenever role, tier, status or
-- auth_version changes, so every change is ordered for the Redis mirror; `synced_revision` records what the
-- mirror has confirmed, and the sync reconciler retries rows where it lags.
CREATE TABLE auth.accounts (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(email)),
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'disabled')),
  role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  tier text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro')),
  -- Random Redis Cluster hash tag of the account's session keys (@redwire/sessions).
  session_tag text NOT NULL UNIQUE CHECK (session_tag ~ '^[A-Za-z0-9_-]{16}$'),
  -- Bumped when every existing session must die: password change, logout-all, disable.
  auth_version bigint NOT NULL DEFAULT 1 CHECK (auth_version >= 1),
  revision bigint NOT NULL DEFAULT 1 CHECK (revision >= 1),
  synced_revision bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_email_key ON auth.accounts (email);
CREATE INDEX accounts_pending_idx ON auth.accounts (created_at) WHERE status = 'pending';
CREATE INDEX accounts_unsynced_idx ON auth.accounts (id) WHERE synced_revision < revision;

CREATE FUNCTION auth.bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.role, NEW.tier, NEW.status, NEW.auth_version)
     IS DISTINCT FROM (OLD.role, OLD.tier, OLD.status, OLD.auth_version) THEN
    NEW.revision := OLD.revision + 1;
    NEW.updated_at := now();
  ELSIF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER accounts_bump_revision BEFORE UPDATE ON auth.accounts
  FOR EACH ROW EXECUTE FUNCTION auth.bump_revision();

-- Down Migration
DROP TABLE auth.accounts;
DROP FUNCTION auth.bump_revision();
