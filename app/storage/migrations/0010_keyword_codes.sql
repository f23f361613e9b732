-- The keyword facet of a search counts the keywords of every image a formula matches: 14 000
-- images carry some 99 000 keyword rows, and grouping those rows by their text took 160-180 ms.
-- Instead each keyword spelling gets a code point once, and each image keeps one short string
-- with a character per keyword it carries: the facet reads one row per image and counts
-- characters (app/storage/formula_search.py). Kept by triggers, like the FTS rows.

-- Codes are code points beyond the Basic Multilingual Plane, 65 536 to 1 114 111, so that no
-- code is a surrogate. Never deleted nor changed: a code read once stays right. A library that
-- ever held more than 1 048 576 spellings gets codes past the last code point, char() makes
-- them U+FFFD, and the facet groups keyword rows instead (the test is max(code)).
CREATE TABLE keyword_codes (
    code         INTEGER PRIMARY KEY,
    namespace    TEXT NOT NULL,
    value        TEXT NOT NULL,
    value_folded TEXT NOT NULL,
    UNIQUE (namespace, value)
);

-- char(code) of each keyword of the image, in no particular order. No row: no keyword yet.
CREATE TABLE image_keyword_codes (
    image_id INTEGER PRIMARY KEY,
    codes    TEXT NOT NULL
);

INSERT INTO keyword_codes (code, namespace, value, value_folded)
SELECT 65535 + row_number() OVER (ORDER BY namespace, value), namespace, value, min(value_folded)
FROM image_keywords GROUP BY namespace, value;

INSERT INTO image_keyword_codes (image_id, codes)
SELECT k.image_id, group_concat(char(c.code), '') FROM image_keywords AS k
JOIN keyword_codes AS c ON c.namespace = k.namespace AND c.value = k.value
GROUP BY k.image_id;

-- An image holds a keyword once (its key is the folded text), so its character appears once
-- in its string and replace() removes exactly it. Rows are added only when missing (WHERE NOT
-- EXISTS), not by a conflict clause: the outer statement's (INSERT OR IGNORE INTO
-- image_keywords, or any other a writer chooses) would override the trigger's.
CREATE TRIGGER image_keyword_codes_insert AFTER INSERT ON image_keywords BEGIN
    INSERT INTO keyword_codes (code, namespace, value, value_folded)
    SELECT (SELECT coalesce(max(code), 65535) + 1 FROM keyword_codes), new.namespace, new.value,
        new.value_folded
    WHERE NOT EXISTS (SELECT 1 FROM keyword_codes WHERE namespace = new.namespace AND value = new.value);
    INSERT INTO image_keyword_codes (image_id, codes) SELECT new.image_id, ''
    WHERE NOT EXISTS (SELECT 1 FROM image_keyword_codes WHERE image_id = new.image_id);
    UPDATE image_keyword_codes SET codes = codes || (
        SELECT char(code) FROM keyword_codes WHERE namespace = new.namespace AND value = new.value
    ) WHERE image_id = new.image_id;
END;

CREATE TRIGGER image_keyword_codes_delete AFTER DELETE ON image_keywords BEGIN
    UPDATE image_keyword_codes SET codes = replace(codes, (
        SELECT char(code) FROM keyword_codes WHERE namespace = old.namespace AND value = old.value
    ), '') WHERE image_id = old.image_id;
END;

CREATE TRIGGER image_keyword_codes_update AFTER UPDATE OF image_id, namespace, value ON image_keywords
BEGIN
    UPDATE image_keyword_codes SET codes = replace(codes, (
        SELECT char(code) FROM keyword_codes WHERE namespace = old.namespace AND value = old.value
    ), '') WHERE image_id = old.image_id;
    INSERT INTO keyword_codes (code, namespace, value, value_folded)
    SELECT (SELECT coalesce(max(code), 65535) + 1 FROM keyword_codes), new.namespace, new.value,
        new.value_folded
    WHERE NOT EXISTS (SELECT 1 FROM keyword_codes WHERE namespace = new.namespace AND value = new.value);
    INSERT INTO image_keyword_codes (image_id, codes) SELECT new.image_id, ''
    WHERE NOT EXISTS (SELECT 1 FROM image_keyword_codes WHERE image_id = new.image_id);
    UPDATE image_keyword_codes SET codes = codes || (
        SELECT char(code) FROM keyword_codes WHERE namespace = new.namespace AND value = new.value
    ) WHERE image_id = new.image_id;
END;

-- Not left to the foreign key (see image_search_delete).
CREATE TRIGGER image_keyword_codes_image_delete AFTER DELETE ON images BEGIN
    DELETE FROM image_keyword_codes WHERE image_id = old.image_id;
END;
