-- Every ordering field of the tracks list has its index, read forwards or backwards: the id
-- tie-breaker follows the direction of the first key, and a SQLite index carries the rowid (the
-- id) after its columns, so (title) serves `title, id` and `-title, -id` alike.
CREATE INDEX IF NOT EXISTS track_release_date ON track (release_date);
