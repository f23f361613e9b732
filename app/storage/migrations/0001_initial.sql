-- Accounts, tokens, the operations queue, idempotency keys, and images with their keywords.

CREATE TABLE accounts (
    account_id  INTEGER PRIMARY KEY,
    public_uuid TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE tokens (
    token_id          INTEGER PRIMARY KEY,
    public_uuid       TEXT NOT NULL UNIQUE,
    account_id        INTEGER NOT NULL REFERENCES accounts (account_id),
    name              TEXT NOT NULL,
    -- SHA-256 of the token: tokens are 256-bit random, so a slow hash would add nothing.
    token_hash        TEXT NOT NULL UNIQUE,
    scopes            TEXT NOT NULL,              -- JSON array of scope names
    ip_networks       TEXT NOT NULL DEFAULT '[]', -- JSON array of CIDRs; empty: anywhere
    max_request_bytes INTEGER,
    expires_at        TEXT,
    revoked_at        TEXT,
    created_at        TEXT NOT NULL
);

-- The queue is this table. AUTOINCREMENT: an op_id is never reused after retention deletes.
CREATE TABLE operations (
    op_id              INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid               TEXT NOT NULL UNIQUE,
    account_id         INTEGER NOT NULL REFERENCES accounts (account_id),
    type               TEXT NOT NULL,
    dialect            TEXT NOT NULL CHECK (dialect IN ('v1', 'imgs')),
    -- Mirrors app.operations.states.OperationStatus.
    status             TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    urgent             INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    params             TEXT NOT NULL,             -- JSON: what the operation type needs to run
    image_public_uuids TEXT NOT NULL DEFAULT '[]',
    progress_total     INTEGER NOT NULL DEFAULT 0,
    progress_done      INTEGER NOT NULL DEFAULT 0,
    progress_failed    INTEGER NOT NULL DEFAULT 0,
    result             TEXT,                      -- JSON
    error              TEXT,                      -- JSON
    cancel_requested   INTEGER NOT NULL DEFAULT 0,
    attempts           INTEGER NOT NULL DEFAULT 0,
    -- Bumped by every change of the representation; the ETag is built from it.
    revision           INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    started_at         TEXT,
    finished_at        TEXT
);

CREATE INDEX operations_queue ON operations (urgent DESC, op_id) WHERE status = 'queued';
CREATE INDEX operations_running ON operations (op_id) WHERE status = 'running';
CREATE INDEX operations_by_account ON operations (account_id, op_id DESC);
CREATE INDEX operations_queued_by_account ON operations (account_id) WHERE status = 'queued';
CREATE INDEX operations_finished ON operations (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE idempotency_keys (
    account_id  INTEGER NOT NULL REFERENCES accounts (account_id),
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    op_id       INTEGER NOT NULL REFERENCES operations (op_id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX idempotency_keys_op ON idempotency_keys (op_id);

CREATE TABLE images (
    image_id          INTEGER PRIMARY KEY,
    public_uuid       TEXT NOT NULL UNIQUE,
    account_id        INTEGER NOT NULL REFERENCES accounts (account_id),
    external_id       TEXT,
    title             TEXT,
    description       TEXT,
    headline          TEXT,
    creation_date     TEXT,
    alt_text          TEXT,
    rating            INTEGER CHECK (rating BETWEEN 0 AND 5),
    creator           TEXT,
    copyright_notice  TEXT,
    copyright_marked  INTEGER,
    credit_line       TEXT,
    usage_terms       TEXT,
    city              TEXT,
    country           TEXT,
    location          TEXT,
    event             TEXT,
    provider          TEXT,
    shot              TEXT,
    scene             TEXT,
    technique         TEXT,
    medium            TEXT,
    status            TEXT CHECK (status IN ('Active', 'Withdrawn', 'Reserved', 'RDA Only')),
    url_img_watermark TEXT,
    url_img_thumbnail TEXT,
    ai_generated      INTEGER,
    model_release     INTEGER,
    property_release  INTEGER,
    nsfw              INTEGER,
    categories        TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    collections       TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    src               TEXT,
    filename          TEXT,
    width             INTEGER,
    height            INTEGER,
    format            TEXT,
    bytes             INTEGER,
    sha256            TEXT,
    n_faces           INTEGER,
    rotation          INTEGER NOT NULL DEFAULT 0 CHECK (rotation IN (0, 90, 180, 270)),
    exif              TEXT NOT NULL DEFAULT '{}', -- JSON object
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (account_id, external_id)
);

CREATE INDEX images_newest ON images (account_id, created_at DESC, image_id DESC);
CREATE INDEX images_sha256 ON images (sha256);

CREATE TABLE image_keywords (
    image_id  INTEGER NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
    namespace TEXT NOT NULL DEFAULT '',           -- '' for a plain keyword
    value     TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (image_id, namespace, value)
) WITHOUT ROWID;

CREATE INDEX image_keywords_by_value ON image_keywords (namespace, value);
