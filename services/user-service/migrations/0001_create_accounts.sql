-- Accounts, refresh tokens and sign-in throttling for user-service.
-- gen_random_uuid() is built into PostgreSQL 13+; no extension needed.

CREATE TABLE users (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Stored normalised (trimmed, lower-cased ASCII); unique in that form.
    email               text        NOT NULL,
    display_name        text        NOT NULL,
    -- Argon2id in PHC string form; never the password itself.
    password_hash       text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_normalised CHECK (
        email = lower(email)
        AND char_length(email) BETWEEN 3 AND 254
        AND email ~ '^[!-~]+@[!-~]+$'),
    CONSTRAINT users_display_name_length CHECK (
        char_length(display_name) BETWEEN 1 AND 64),
    CONSTRAINT users_password_hash_argon2id CHECK (
        password_hash LIKE '$argon2id$%'),
    CONSTRAINT users_updated_after_created CHECK (updated_at >= created_at)
);

CREATE TABLE refresh_tokens (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Every token descended from one sign-in shares the family id; reuse of a
    -- spent token revokes the whole family.
    family_id      uuid        NOT NULL,
    -- The token this one replaced (NULL for the first of a family, or once
    -- the parent has been purged).
    parent_id      uuid        REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    -- Lower-case hex SHA-256 of the opaque token; the token is never stored.
    token_hash     text        NOT NULL,
    issued_at      timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    revoked_at     timestamptz,
    revoke_reason  text,
    client_address text,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_token_hash_sha256 CHECK (
        token_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT refresh_tokens_expiry_after_issue CHECK (expires_at > issued_at),
    CONSTRAINT refresh_tokens_revoke_reason_known CHECK (
        revoke_reason IN ('logout', 'reuse_detected', 'password_changed')),
    CONSTRAINT refresh_tokens_revoked_with_reason CHECK (
        (revoked_at IS NULL) = (revoke_reason IS NULL)),
    CONSTRAINT refresh_tokens_client_address_length CHECK (
        char_length(client_address) <= 256)
);

CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_active_idx
    ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_parent_id_idx ON refresh_tokens (parent_id);

-- Failed sign-ins within the throttle window, counted per account (SHA-256 of
-- the normalised email, so mistyped secrets are not kept readable) and per
-- client address. Rows older than the window are purged as new ones arrive.
CREATE TABLE login_failures (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_kind    text        NOT NULL,
    key         text        NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT login_failures_key_kind_known CHECK (
        key_kind IN ('account', 'address')),
    CONSTRAINT login_failures_key_length CHECK (
        char_length(key) BETWEEN 1 AND 256)
);

CREATE INDEX login_failures_key_idx
    ON login_failures (key_kind, key, occurred_at);
CREATE INDEX login_failures_occurred_at_idx ON login_failures (occurred_at);
