-- name: archive_sources
-- What goes into an archive for each image id of a JSON array, in its order: the image (NULL
-- columns when it is gone or another account's) and the file of the wanted version (NULL
-- when it has none; :version 'original' is the original itself).
SELECT j.key AS position, i.public_uuid, i.filename, i.created_at,
       CASE WHEN :version = 'original' THEN i.sha256 ELSE v.sha256 END AS sha256,
       CASE WHEN :version = 'original' THEN i.format ELSE v.format END AS format
FROM json_each(:image_ids) AS j
LEFT JOIN images AS i ON i.image_id = j.value AND i.account_id = :account_id
LEFT JOIN image_versions AS v ON v.image_id = i.image_id AND v.name = :version
ORDER BY j.key;

-- name: insert_archive
-- A finished archive, written with the status of the operation that made it.
INSERT INTO archives (public_uuid, account_id, filename, bytes, image_count, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: archive_by_uuid
-- One archive of an account, unless it has expired.
SELECT * FROM archives WHERE public_uuid = ? AND account_id = ? AND expires_at > ?;

-- name: archives_of_account
-- A page of an account's archives that have not expired, newest first.
SELECT * FROM archives WHERE account_id = ? AND expires_at > ?
ORDER BY created_at DESC, archive_id DESC LIMIT ? OFFSET ?;

-- name: delete_expired_archives
-- Forget the archives past their expiry; their files go once this commits.
DELETE FROM archives WHERE expires_at <= ? RETURNING public_uuid;

-- name: unknown_archive_uuids
-- Which of the uuids in a JSON array no archive has (files left by a crash before their commit).
SELECT value AS public_uuid FROM json_each(?)
WHERE value NOT IN (SELECT public_uuid FROM archives);
