CREATE TABLE user_picture (
    user_id INTEGER PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    last_updated INTEGER NOT NULL,
    data BLOB NOT NULL
);
