-- The views no declaration says: a token's or a session's active user, in one lookup by the
-- hash of its key. Run after the declared tables (example-app/src/app.rs, `schema`).
CREATE VIEW IF NOT EXISTS auth_token_user AS
    SELECT t.key_hash AS key_hash, u.id AS user_id, u.username AS username, u.is_staff AS is_staff
    FROM auth_token t JOIN app_user u ON u.id = t.user_id
    WHERE u.is_active = 1;

CREATE VIEW IF NOT EXISTS auth_session_user AS
    SELECT s.key_hash AS key_hash, u.id AS user_id, u.username AS username,
           u.is_staff AS is_staff, s.csrf_token AS csrf_token, s.expires_at AS expires_at
    FROM auth_session s JOIN app_user u ON u.id = s.user_id
    WHERE u.is_active = 1;
