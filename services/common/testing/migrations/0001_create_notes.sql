-- Quotes ' " and backslashes \ \\ and a raw-string end )" and )sql" survive.
CREATE TABLE notes (
  id bigserial PRIMARY KEY,
  body text NOT NULL CHECK (body <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO notes (body) VALUES ('it''s "quoted" \ ok )" €');
