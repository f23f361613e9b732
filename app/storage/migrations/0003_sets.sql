-- Sets: nested, ordered among their siblings, with ordered members and snapshots of membership.

CREATE TABLE sets (
    set_id        INTEGER PRIMARY KEY,
    public_uuid   TEXT NOT NULL UNIQUE,
    account_id    INTEGER NOT NULL REFERENCES accounts (account_id),
    -- NULL at the top level; deleting a set deletes its sub-sets through this cascade.
    parent_id     INTEGER REFERENCES sets (set_id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,            -- among the siblings
    name          TEXT NOT NULL,
    colour        TEXT CHECK (colour IN ('red', 'orange', 'yellow', 'green', 'blue', 'purple', 'grey')),
    description   TEXT,
    type          TEXT CHECK (type IN ('album', 'gallery', 'folder')),
    lead_image_id INTEGER REFERENCES images (image_id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE INDEX sets_by_account ON sets (account_id, parent_id, position);
CREATE INDEX sets_children ON sets (parent_id, position);
CREATE INDEX sets_lead_image ON sets (lead_image_id);

-- Positions are not unique: renumbering a whole set in one UPDATE would trip over them.
CREATE TABLE set_images (
    set_id          INTEGER NOT NULL REFERENCES sets (set_id) ON DELETE CASCADE,
    image_id        INTEGER NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    hidden          INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    -- A hidden member is visible again from this moment on; visibility is computed when read.
    activation_time TEXT,
    PRIMARY KEY (set_id, image_id)
) WITHOUT ROWID;

CREATE INDEX set_images_order ON set_images (set_id, position);
CREATE INDEX set_images_by_image ON set_images (image_id);

-- A set's membership as it was before a rearrangement; the newest 50 per set are kept.
CREATE TABLE set_snapshots (
    snapshot_id    INTEGER PRIMARY KEY,
    public_uuid    TEXT NOT NULL UNIQUE,
    set_id         INTEGER NOT NULL REFERENCES sets (set_id) ON DELETE CASCADE,
    operation_type TEXT NOT NULL,
    image_count    INTEGER NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE INDEX set_snapshots_newest ON set_snapshots (set_id, snapshot_id);

CREATE TABLE set_snapshot_images (
    snapshot_id     INTEGER NOT NULL REFERENCES set_snapshots (snapshot_id) ON DELETE CASCADE,
    image_id        INTEGER NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    hidden          INTEGER NOT NULL,
    activation_time TEXT,
    PRIMARY KEY (snapshot_id, image_id)
) WITHOUT ROWID;

CREATE INDEX set_snapshot_images_by_image ON set_snapshot_images (image_id);

-- A set with what every read shows: its parent's uuid, its member count and its lead image
-- (the chosen one, else the first member).
CREATE VIEW set_summaries AS
SELECT
    s.*,
    p.public_uuid AS parent_public_uuid,
    (SELECT count(*) FROM set_images m WHERE m.set_id = s.set_id) AS image_count,
    coalesce(
        (SELECT i.public_uuid FROM images i WHERE i.image_id = s.lead_image_id),
        (SELECT i.public_uuid FROM set_images m JOIN images i ON i.image_id = m.image_id
         WHERE m.set_id = s.set_id ORDER BY m.position, m.image_id LIMIT 1)
    ) AS lead_image_public_uuid
FROM sets s LEFT JOIN sets p ON p.set_id = s.parent_id;
