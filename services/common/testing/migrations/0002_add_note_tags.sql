ALTER TABLE notes ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX notes_tags_idx ON notes USING gin (tags);
