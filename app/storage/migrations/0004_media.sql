-- What the image processor leaves: versions, the perceptual hash, colours, embedded metadata;
-- and upload tickets.

CREATE TABLE image_versions (
    image_id INTEGER NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
    name     TEXT NOT NULL,                      -- a profile (`thumb`, ...) or `crop_16x9`
    width    INTEGER NOT NULL,
    height   INTEGER NOT NULL,
    format   TEXT NOT NULL CHECK (format IN ('jpeg', 'webp')),
    bytes    INTEGER NOT NULL,
    sha256   TEXT NOT NULL,                      -- stored as media/ab/cd/<sha256>.<format>
    PRIMARY KEY (image_id, name)
) WITHOUT ROWID;

-- Whether a media file is still referenced is asked before it is deleted.
CREATE INDEX image_versions_sha256 ON image_versions (sha256);

ALTER TABLE images ADD COLUMN phash INTEGER;          -- signed 64-bit DCT perceptual hash
ALTER TABLE images ADD COLUMN colours TEXT NOT NULL DEFAULT '[]';   -- [{"name", "share"}]
ALTER TABLE images ADD COLUMN embedded TEXT NOT NULL DEFAULT '{}';  -- IPTC/XMP/EXIF caption, ...

CREATE TABLE upload_tickets (
    account_id       INTEGER NOT NULL REFERENCES accounts (account_id),
    idempotency_key  TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    transaction_uuid TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
) WITHOUT ROWID;

CREATE INDEX upload_tickets_created ON upload_tickets (created_at);
