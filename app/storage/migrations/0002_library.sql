-- The library's editable data: normalised keywords, credits, GPS columns, and full-text search.

-- Keywords keep the case they were written in but are unique and matched by `value_folded`
-- (casefolded, NFC): "Sunset" and "sunset" are one keyword.
CREATE TABLE image_keywords_new (
    image_id     INTEGER NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
    namespace    TEXT NOT NULL DEFAULT '',        -- '' for a plain keyword; always lowercase
    value        TEXT NOT NULL,
    value_folded TEXT NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (image_id, namespace, value_folded)
) WITHOUT ROWID;

INSERT INTO image_keywords_new (image_id, namespace, value, value_folded, position)
SELECT image_id, lower(namespace), value, lower(value), position FROM image_keywords;

DROP TABLE image_keywords;
ALTER TABLE image_keywords_new RENAME TO image_keywords;

CREATE INDEX image_keywords_by_value ON image_keywords (namespace, value_folded, image_id);
CREATE INDEX image_keywords_by_folded ON image_keywords (value_folded, image_id);

CREATE TABLE image_credits (
    image_id INTEGER NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (image_id, role, name)
) WITHOUT ROWID;

-- GPS as real columns (the processor fills them from EXIF) so has_geo and bbox use an index.
ALTER TABLE images ADD COLUMN lat REAL;
ALTER TABLE images ADD COLUMN lon REAL;

CREATE INDEX images_geo ON images (account_id, lat, lon) WHERE lat IS NOT NULL;
CREATE INDEX images_rating ON images (account_id, rating);
CREATE INDEX images_updated ON images (account_id, updated_at);
CREATE INDEX images_creation_date ON images (account_id, creation_date);
CREATE INDEX images_exif_make ON images (account_id, lower(json_extract(exif, '$.make')));
CREATE INDEX images_exif_model ON images (account_id, lower(json_extract(exif, '$.model')));

-- Full text over title, description, keywords, filename and metadata. Kept by triggers, so
-- every writer (operations, processor, tests) keeps it right without remembering to.
CREATE VIRTUAL TABLE images_fts USING fts5 (
    title, description, keywords, filename, metadata,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

INSERT INTO images_fts (rowid, title, description, keywords, filename, metadata)
SELECT image_id, title, description, '', filename, '' FROM images;

CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts (rowid, title, description, keywords, filename, metadata)
    VALUES (
        new.image_id, new.title, new.description, '', new.filename,
        coalesce(new.headline, '') || ' ' || coalesce(new.alt_text, '') || ' '
        || coalesce(new.creator, '') || ' ' || coalesce(new.credit_line, '') || ' '
        || coalesce(new.city, '') || ' ' || coalesce(new.country, '') || ' '
        || coalesce(new.location, '') || ' ' || coalesce(new.event, '') || ' '
        || coalesce(new.provider, '') || ' ' || coalesce(new.shot, '') || ' '
        || coalesce(new.scene, '') || ' ' || coalesce(new.technique, '') || ' '
        || coalesce(new.medium, '') || ' ' || coalesce(new.copyright_notice, '') || ' '
        || coalesce(new.usage_terms, '') || ' ' || new.categories || ' ' || new.collections
    );
END;

CREATE TRIGGER images_fts_update AFTER UPDATE OF
    title, description, filename, headline, alt_text, creator, credit_line, city, country,
    location, event, provider, shot, scene, technique, medium, copyright_notice, usage_terms,
    categories, collections
ON images BEGIN
    UPDATE images_fts SET
        title = new.title,
        description = new.description,
        filename = new.filename,
        metadata =
            coalesce(new.headline, '') || ' ' || coalesce(new.alt_text, '') || ' '
            || coalesce(new.creator, '') || ' ' || coalesce(new.credit_line, '') || ' '
            || coalesce(new.city, '') || ' ' || coalesce(new.country, '') || ' '
            || coalesce(new.location, '') || ' ' || coalesce(new.event, '') || ' '
            || coalesce(new.provider, '') || ' ' || coalesce(new.shot, '') || ' '
            || coalesce(new.scene, '') || ' ' || coalesce(new.technique, '') || ' '
            || coalesce(new.medium, '') || ' ' || coalesce(new.copyright_notice, '') || ' '
            || coalesce(new.usage_terms, '') || ' ' || new.categories || ' ' || new.collections
    WHERE rowid = new.image_id;
END;

CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.image_id;
END;

CREATE TRIGGER image_keywords_fts_insert AFTER INSERT ON image_keywords BEGIN
    UPDATE images_fts SET keywords = (
        SELECT group_concat(namespace || ' ' || value, ' ') FROM image_keywords
        WHERE image_id = new.image_id
    ) WHERE rowid = new.image_id;
END;

CREATE TRIGGER image_keywords_fts_delete AFTER DELETE ON image_keywords BEGIN
    UPDATE images_fts SET keywords = coalesce((
        SELECT group_concat(namespace || ' ' || value, ' ') FROM image_keywords
        WHERE image_id = old.image_id
    ), '') WHERE rowid = old.image_id;
END;
