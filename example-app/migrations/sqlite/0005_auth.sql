-- Users who can log in: a password (an Argon2 PHC string, never the password), staff and
-- active flags; tracks get their owner; tokens and sessions are stored by the SHA-256 hash of
-- their key only. The two views give an authenticator the user of a key in one lookup.
ALTER TABLE app_user ADD COLUMN password TEXT;
ALTER TABLE app_user ADD COLUMN is_staff INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN is_active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE track ADD COLUMN owner INTEGER REFERENCES app_user (id) ON DELETE SET NULL;
CREATE INDEX track_owner ON track (owner);

-- created: when the token was made, in microseconds since the Unix epoch.
CREATE TABLE auth_token (
    key_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created INTEGER NOT NULL
);
CREATE INDEX auth_token_user_id ON auth_token (user_id);

CREATE TABLE auth_session (
    key_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_session_user_id ON auth_session (user_id);
CREATE INDEX auth_session_expires_at ON auth_session (expires_at);

CREATE VIEW auth_token_user AS
    SELECT t.key_hash AS key_hash, u.id AS user_id, u.username AS username, u.is_staff AS is_staff
    FROM auth_token t JOIN app_user u ON u.id = t.user_id
    WHERE u.is_active = 1;

CREATE VIEW auth_session_user AS
    SELECT s.key_hash AS key_hash, u.id AS user_id, u.username AS username,
           u.is_staff AS is_staff, s.csrf_token AS csrf_token, s.expires_at AS expires_at
    FROM auth_session s JOIN app_user u ON u.id = s.user_id
    WHERE u.is_active = 1;
