-- What the query formula's filters look up instead of reading every image: colour names and
-- list elements in side tables kept by triggers, folded strings and the orientation in
-- expression indexes. All of it plain SQL, so that any connection may write images.
--
-- A folded key is the exact fold (lower case, outer spaces trimmed) for ASCII text, which
-- SQLite's own lower() and trim() compute, and char(1) for any other text: app/search/
-- formula_sql.py looks up the folded value, then checks the char(1) rows with the Python
-- fold(). The expressions here and there must stay the same, letter for letter, or SQLite
-- will not use the indexes.

-- Dominant colours by their (English) palette name, for text search by colour.
CREATE TABLE image_colours (
    name     TEXT NOT NULL,
    image_id INTEGER NOT NULL,
    PRIMARY KEY (name, image_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO image_colours (name, image_id)
SELECT json_extract(c.value, '$.name'), i.image_id FROM images AS i, json_each(i.colours) AS c
WHERE json_extract(c.value, '$.name') IS NOT NULL;

-- Elements of categories and collections, keyed by their folded text.
CREATE TABLE image_list_elements (
    field    TEXT NOT NULL CHECK (field IN ('categories', 'collections')),
    folded   TEXT NOT NULL,
    image_id INTEGER NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (field, folded, image_id, value)
) WITHOUT ROWID;

CREATE INDEX image_list_elements_of_image ON image_list_elements (image_id);

CREATE VIEW image_list_elements_source AS
SELECT i.image_id, 'categories' AS field, e.value AS value FROM images AS i, json_each(i.categories) AS e
WHERE e.type = 'text'
UNION ALL
SELECT i.image_id, 'collections', e.value FROM images AS i, json_each(i.collections) AS e
WHERE e.type = 'text';

INSERT OR IGNORE INTO image_list_elements (field, folded, image_id, value)
SELECT field,
    CASE WHEN length(value) = length(CAST(value AS BLOB)) THEN lower(value) ELSE char(1) END,
    image_id, value
FROM image_list_elements_source;

CREATE TRIGGER image_search_insert AFTER INSERT ON images BEGIN
    INSERT OR IGNORE INTO image_colours (name, image_id)
    SELECT json_extract(c.value, '$.name'), new.image_id FROM json_each(new.colours) AS c
    WHERE json_extract(c.value, '$.name') IS NOT NULL;
    INSERT OR IGNORE INTO image_list_elements (field, folded, image_id, value)
    SELECT field,
        CASE WHEN length(value) = length(CAST(value AS BLOB)) THEN lower(value) ELSE char(1) END,
        image_id, value
    FROM image_list_elements_source WHERE image_id = new.image_id;
END;

CREATE TRIGGER image_colours_update AFTER UPDATE OF colours ON images BEGIN
    DELETE FROM image_colours WHERE image_id = old.image_id
        AND name IN (SELECT json_extract(c.value, '$.name') FROM json_each(old.colours) AS c);
    INSERT OR IGNORE INTO image_colours (name, image_id)
    SELECT json_extract(c.value, '$.name'), new.image_id FROM json_each(new.colours) AS c
    WHERE json_extract(c.value, '$.name') IS NOT NULL;
END;

CREATE TRIGGER image_list_elements_update AFTER UPDATE OF categories, collections ON images BEGIN
    DELETE FROM image_list_elements WHERE image_id = old.image_id;
    INSERT OR IGNORE INTO image_list_elements (field, folded, image_id, value)
    SELECT field,
        CASE WHEN length(value) = length(CAST(value AS BLOB)) THEN lower(value) ELSE char(1) END,
        image_id, value
    FROM image_list_elements_source WHERE image_id = new.image_id;
END;

-- Not left to the foreign key: connections without foreign_keys = ON would leave rows that a
-- new image reusing the row id would inherit.
CREATE TRIGGER image_search_delete AFTER DELETE ON images BEGIN
    DELETE FROM image_colours WHERE image_id = old.image_id
        AND name IN (SELECT json_extract(c.value, '$.name') FROM json_each(old.colours) AS c);
    DELETE FROM image_list_elements WHERE image_id = old.image_id;
END;

CREATE INDEX images_orientation ON images (
    account_id,
    (CASE WHEN width > height THEN 'landscape' WHEN width < height THEN 'portrait'
        WHEN width = height THEN 'square' END)
);

-- The label fields (those with facets), by folded value.
CREATE INDEX images_status_folded ON images (
    account_id,
    (CASE WHEN typeof(status) = 'text' AND length(status) = length(CAST(status AS BLOB))
        THEN trim(lower(status), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN status IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_location_folded ON images (
    account_id,
    (CASE WHEN typeof(location) = 'text' AND length(location) = length(CAST(location AS BLOB))
        THEN trim(lower(location), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN location IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_city_folded ON images (
    account_id,
    (CASE WHEN typeof(city) = 'text' AND length(city) = length(CAST(city AS BLOB))
        THEN trim(lower(city), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN city IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_country_folded ON images (
    account_id,
    (CASE WHEN typeof(country) = 'text' AND length(country) = length(CAST(country AS BLOB))
        THEN trim(lower(country), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN country IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_event_folded ON images (
    account_id,
    (CASE WHEN typeof(event) = 'text' AND length(event) = length(CAST(event AS BLOB))
        THEN trim(lower(event), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN event IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_creator_folded ON images (
    account_id,
    (CASE WHEN typeof(creator) = 'text' AND length(creator) = length(CAST(creator AS BLOB))
        THEN trim(lower(creator), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN creator IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_provider_folded ON images (
    account_id,
    (CASE WHEN typeof(provider) = 'text' AND length(provider) = length(CAST(provider AS BLOB))
        THEN trim(lower(provider), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN provider IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_shot_folded ON images (
    account_id,
    (CASE WHEN typeof(shot) = 'text' AND length(shot) = length(CAST(shot AS BLOB))
        THEN trim(lower(shot), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN shot IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_scene_folded ON images (
    account_id,
    (CASE WHEN typeof(scene) = 'text' AND length(scene) = length(CAST(scene AS BLOB))
        THEN trim(lower(scene), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN scene IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_technique_folded ON images (
    account_id,
    (CASE WHEN typeof(technique) = 'text' AND length(technique) = length(CAST(technique AS BLOB))
        THEN trim(lower(technique), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN technique IS NOT NULL THEN char(1) END)
);
CREATE INDEX images_medium_folded ON images (
    account_id,
    (CASE WHEN typeof(medium) = 'text' AND length(medium) = length(CAST(medium AS BLOB))
        THEN trim(lower(medium), char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31))
        WHEN medium IS NOT NULL THEN char(1) END)
);

-- Statistics for the new indexes now: without them SQLite guesses that `account_id = ?`
-- leaves ten images, and may then run a full-text query once per image of the account.
ANALYZE images;
ANALYZE image_list_elements;
ANALYZE image_colours;
