-- name: backup_originals
-- The originals a copy of the database references (images made before processing have none).
SELECT DISTINCT sha256 FROM images WHERE sha256 IS NOT NULL;

-- name: backup_versions
-- The version files a copy of the database references: media/ab/cd/<sha256>.<format>.
SELECT DISTINCT sha256, format FROM image_versions;

-- name: backup_archives
-- The finished archives a copy of the database lists: archives/<public_uuid>.zip.
SELECT public_uuid FROM archives;

-- name: backup_counts
-- What a backup holds, for its manifest and for the check on restore.
SELECT (SELECT count(*) FROM images) AS images,
       (SELECT count(*) FROM image_versions) AS versions,
       (SELECT count(*) FROM archives) AS archives,
       (SELECT count(*) FROM operations) AS operations;
