-- Every ordering field of the tracks list has an index on (field, id), read forwards or
-- backwards: the id tie-breaker follows the direction of the first key, so `-title` is
-- `title DESC, id DESC`, a backward scan of (title, id).
DROP INDEX IF EXISTS track_title;
CREATE INDEX IF NOT EXISTS track_title_id ON track (title, id);
DROP INDEX IF EXISTS track_artist_name;
CREATE INDEX IF NOT EXISTS track_artist_name_id ON track (artist_name, id);
CREATE INDEX IF NOT EXISTS track_release_date_id ON track (release_date, id);
