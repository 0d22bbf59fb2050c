CREATE TABLE pending_upload (
    key TEXT PRIMARY KEY,
    track_id INTEGER NOT NULL REFERENCES track (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
