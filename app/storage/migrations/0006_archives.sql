-- Archives: ZIPs of many images. A row is written only once its file is complete, in the
-- transaction that finishes its `archive` operation, so every row is a ready archive.

CREATE TABLE archives (
    archive_id  INTEGER PRIMARY KEY,
    public_uuid TEXT NOT NULL UNIQUE,            -- the file is archives/<public_uuid>.zip
    account_id  INTEGER NOT NULL REFERENCES accounts (account_id),
    filename    TEXT NOT NULL,                   -- offered to the browser, ends in .zip
    bytes       INTEGER NOT NULL,
    image_count INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL                    -- created_at + DARKROOM_ARCHIVE_TTL at creation
);

CREATE INDEX archives_by_account ON archives (account_id, created_at DESC, archive_id DESC);
CREATE INDEX archives_expiry ON archives (expires_at);
