-- A track's duration (decimal seconds, as text compared as a number) and its creation and
-- change times; a user's date_joined. Rows that existed before get the time of the migration.
ALTER TABLE track ADD COLUMN duration TEXT;
ALTER TABLE track ADD COLUMN created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z';
ALTER TABLE track ADD COLUMN updated_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z';
UPDATE track SET created_at = strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'),
                 updated_at = strftime('%Y-%m-%dT%H:%M:%f000Z', 'now');
ALTER TABLE app_user ADD COLUMN date_joined TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z';
UPDATE app_user SET date_joined = strftime('%Y-%m-%dT%H:%M:%f000Z', 'now');
