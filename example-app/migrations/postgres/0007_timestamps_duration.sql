-- A track's duration (decimal seconds) and its creation and change times; a user's
-- date_joined. Rows that existed before get the time of the migration.
ALTER TABLE track ADD COLUMN duration NUMERIC;
ALTER TABLE track ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE track ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE app_user ADD COLUMN date_joined TIMESTAMPTZ NOT NULL DEFAULT now();
