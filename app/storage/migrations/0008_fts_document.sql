-- Each image's full-text document defined once, as a view, and its refresh deferrable within
-- a write transaction: a batch writing the keywords of 10 000 images then rewrites each
-- image's FTS row once, instead of once per keyword row inserted or deleted.

CREATE VIEW images_fts_document AS
SELECT
    i.image_id,
    i.title,
    i.description,
    coalesce((
        SELECT group_concat(k.namespace || ' ' || k.value, ' ') FROM image_keywords AS k
        WHERE k.image_id = i.image_id
    ), '') AS keywords,
    i.filename,
    coalesce(i.headline, '') || ' ' || coalesce(i.alt_text, '') || ' '
    || coalesce(i.creator, '') || ' ' || coalesce(i.credit_line, '') || ' '
    || coalesce(i.city, '') || ' ' || coalesce(i.country, '') || ' '
    || coalesce(i.location, '') || ' ' || coalesce(i.event, '') || ' '
    || coalesce(i.provider, '') || ' ' || coalesce(i.shot, '') || ' '
    || coalesce(i.scene, '') || ' ' || coalesce(i.technique, '') || ' '
    || coalesce(i.medium, '') || ' ' || coalesce(i.copyright_notice, '') || ' '
    || coalesce(i.usage_terms, '') || ' ' || i.categories || ' ' || i.collections AS metadata
FROM images AS i;

-- Images whose FTS row the triggers leave alone for now. Filled and emptied inside one write
-- transaction (app/storage/images_store.py), so no other connection ever sees a row here.
CREATE TABLE fts_refresh_deferred (image_id INTEGER PRIMARY KEY);

DROP TRIGGER images_fts_insert;
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts (rowid, title, description, keywords, filename, metadata)
    SELECT image_id, title, description, '', filename, metadata FROM images_fts_document
    WHERE image_id = new.image_id;
END;

DROP TRIGGER images_fts_update;
CREATE TRIGGER images_fts_update AFTER UPDATE OF
    title, description, filename, headline, alt_text, creator, credit_line, city, country,
    location, event, provider, shot, scene, technique, medium, copyright_notice, usage_terms,
    categories, collections
ON images
WHEN NOT EXISTS (SELECT 1 FROM fts_refresh_deferred WHERE image_id = new.image_id)
BEGIN
    UPDATE images_fts SET (title, description, filename, metadata) = (
        SELECT title, description, filename, metadata FROM images_fts_document
        WHERE image_id = new.image_id
    ) WHERE rowid = new.image_id;
END;

DROP TRIGGER image_keywords_fts_insert;
CREATE TRIGGER image_keywords_fts_insert AFTER INSERT ON image_keywords
WHEN NOT EXISTS (SELECT 1 FROM fts_refresh_deferred WHERE image_id = new.image_id)
BEGIN
    UPDATE images_fts SET keywords = (
        SELECT keywords FROM images_fts_document WHERE image_id = new.image_id
    ) WHERE rowid = new.image_id;
END;

DROP TRIGGER image_keywords_fts_delete;
CREATE TRIGGER image_keywords_fts_delete AFTER DELETE ON image_keywords
WHEN NOT EXISTS (SELECT 1 FROM fts_refresh_deferred WHERE image_id = old.image_id)
BEGIN
    UPDATE images_fts SET keywords = (
        SELECT keywords FROM images_fts_document WHERE image_id = old.image_id
    ) WHERE rowid = old.image_id;
END;
