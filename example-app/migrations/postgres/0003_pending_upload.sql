CREATE TABLE pending_upload (
    key TEXT PRIMARY KEY,
    track_id BIGINT NOT NULL REFERENCES track (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
