CREATE TABLE user_picture (
    user_id BIGINT PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    last_updated BIGINT NOT NULL,
    data BYTEA NOT NULL
);
