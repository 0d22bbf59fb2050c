CREATE TABLE track (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    artist_name TEXT NOT NULL CHECK (length(artist_name) BETWEEN 1 AND 100),
    release_date TEXT CHECK (release_date IS NULL OR date(release_date) = release_date),
    file TEXT
);
CREATE INDEX track_artist_name ON track (artist_name);
CREATE INDEX track_title ON track (title);

CREATE TABLE app_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    email TEXT
);
