-- name: image_by_uuid
-- One image of an account, by public uuid.
SELECT * FROM images WHERE public_uuid = ? AND account_id = ?;

-- name: image_by_id
-- One image by its row id.
SELECT * FROM images WHERE image_id = ?;

-- name: keywords_of_images
-- The keywords of the images whose ids are in a JSON array, in their order.
SELECT image_id, namespace, value FROM image_keywords
WHERE image_id IN (SELECT value FROM json_each(?))
ORDER BY image_id, position;

-- name: insert_keyword
-- One keyword of an image (kept as first written when it is there already).
INSERT OR IGNORE INTO image_keywords (image_id, namespace, value, value_folded, position)
VALUES (?, ?, ?, ?, ?);

-- name: delete_image
-- Remove an image (its keywords go with it).
DELETE FROM images WHERE image_id = ?;

-- name: next_keyword_position
-- Where the next keyword of an image goes in its order.
SELECT coalesce(max(position) + 1, 0) AS next FROM image_keywords WHERE image_id = ?;

-- name: image_ids_for_uuids
-- The row ids of an account's images whose public uuids are in a JSON array.
SELECT public_uuid, image_id FROM images
WHERE account_id = ? AND public_uuid IN (SELECT value FROM json_each(?));

-- name: insert_credit
-- Credit someone on an image (appended; the same role and name once).
INSERT OR IGNORE INTO image_credits (image_id, role, name, position)
VALUES (?1, ?2, ?3, (SELECT coalesce(max(position) + 1, 0) FROM image_credits WHERE image_id = ?1));

-- name: delete_credit
-- Remove a credit from an image.
DELETE FROM image_credits WHERE image_id = ? AND role = ? AND name = ?;

-- name: credits_of_images
-- The credits of the images whose ids are in a JSON array, in their order.
SELECT image_id, role, name FROM image_credits
WHERE image_id IN (SELECT value FROM json_each(?))
ORDER BY image_id, position;

-- name: images_by_external_ids
-- The images of an account whose external ids are in a JSON array.
SELECT * FROM images
WHERE account_id = ? AND external_id IN (SELECT value FROM json_each(?));

-- name: delete_keywords_except_namespace
-- Remove an image's keywords but those of one namespace (before its new list is written).
DELETE FROM image_keywords WHERE image_id = ? AND namespace != ?;

-- name: delete_keywords_in_namespace
-- Remove an image's keywords of one namespace.
DELETE FROM image_keywords WHERE image_id = ? AND namespace = ?;

-- name: update_images_fts
-- Rewrite the FTS rows of the images whose ids are in a JSON array from their documents.
UPDATE images_fts SET (title, description, keywords, filename, metadata) = (
    SELECT d.title, d.description, d.keywords, d.filename, d.metadata FROM images_fts_document AS d
    WHERE d.image_id = images_fts.rowid
) WHERE rowid IN (SELECT value FROM json_each(?));

-- name: defer_fts_refresh
-- Leave the FTS rows of the images whose ids are in a JSON array to update_images_fts.
INSERT OR IGNORE INTO fts_refresh_deferred (image_id) SELECT value FROM json_each(?);

-- name: end_fts_deferral
-- The FTS triggers look after every image again.
DELETE FROM fts_refresh_deferred;

-- name: delete_keywords_except_namespace_of_images
-- Remove the keywords but those of one namespace of the images whose ids are in a JSON array.
DELETE FROM image_keywords
WHERE image_id IN (SELECT value FROM json_each(?)) AND namespace != ?;

-- name: keyword_rows_of_images
-- Every keyword row of the images whose ids are in a JSON array.
SELECT image_id, namespace, value_folded, position FROM image_keywords
WHERE image_id IN (SELECT value FROM json_each(?));
