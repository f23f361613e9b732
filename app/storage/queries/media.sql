-- name: versions_of_images
-- The versions of the images whose ids are in a JSON array, in profile then crop order.
SELECT image_id, name, width, height, format, bytes, sha256, box FROM image_versions
WHERE image_id IN (SELECT value FROM json_each(?))
ORDER BY image_id, name LIKE 'crop\_%' ESCAPE '\', width, name;

-- name: insert_version
-- One version of an image (replacing the one of that name).
INSERT OR REPLACE INTO image_versions (image_id, name, width, height, format, bytes, sha256, box)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: delete_version
-- Remove one version of an image.
DELETE FROM image_versions WHERE image_id = ? AND name = ? RETURNING sha256, format;

-- name: delete_crops
-- Remove every crop of an image (its rotation changed: the boxes no longer fit).
DELETE FROM image_versions WHERE image_id = ? AND name LIKE 'crop\_%' ESCAPE '\'
RETURNING sha256, format;

-- name: delete_profile_versions
-- Remove the versions made from profiles (crops stay), before new ones are written.
DELETE FROM image_versions WHERE image_id = ? AND name NOT LIKE 'crop\_%' ESCAPE '\'
RETURNING sha256, format;

-- name: original_referenced
-- Whether any image still has this original.
SELECT 1 FROM images WHERE sha256 = ? LIMIT 1;

-- name: version_referenced
-- Whether any image still has a version with these bytes in this format.
SELECT 1 FROM image_versions WHERE sha256 = ? AND format = ? LIMIT 1;

-- name: unfinished_upload_params
-- The parameters of upload operations not finished yet (their incoming files must stay).
SELECT params FROM operations WHERE type = 'upload' AND status IN ('queued', 'running');
