-- name: image_by_uuid
-- One image of an account, by public uuid.
SELECT * FROM images WHERE public_uuid = ? AND account_id = ?;

-- name: image_by_id
-- One image by its row id.
SELECT * FROM images WHERE image_id = ?;

-- name: list_images_newest
-- A page of an account's images, newest first (one extra row tells whether there is more).
SELECT * FROM images WHERE account_id = ?
ORDER BY created_at DESC, image_id DESC LIMIT ? OFFSET ?;

-- name: keywords_of_images
-- The keywords of the images whose ids are in a JSON array, in their order.
SELECT image_id, namespace, value FROM image_keywords
WHERE image_id IN (SELECT value FROM json_each(?))
ORDER BY image_id, position;

-- name: insert_keyword
-- One keyword of an image.
INSERT OR IGNORE INTO image_keywords (image_id, namespace, value, position) VALUES (?, ?, ?, ?);

-- name: delete_image
-- Remove an image (its keywords go with it).
DELETE FROM images WHERE image_id = ?;
