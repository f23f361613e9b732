-- name: delete_keyword
-- Remove one keyword from an image.
DELETE FROM image_keywords WHERE image_id = ? AND namespace = ? AND value_folded = ?;

-- name: images_with_keyword
-- The images of an account carrying a keyword.
SELECT k.image_id FROM image_keywords AS k JOIN images AS i USING (image_id)
WHERE i.account_id = ? AND k.namespace = ? AND k.value_folded = ?;

-- name: keyword_counts
-- Keywords of an account with the number of images carrying each, most used first.
SELECT k.namespace, min(k.value) AS value, count(*) AS count
FROM image_keywords AS k JOIN images AS i USING (image_id)
WHERE i.account_id = :account_id
  AND (:namespace IS NULL OR k.namespace = :namespace)
  AND (:prefix IS NULL OR substr(k.value_folded, 1, length(:prefix)) = :prefix)
GROUP BY k.namespace, k.value_folded
ORDER BY count DESC, k.value_folded, k.namespace
LIMIT :limit OFFSET :offset;

-- name: namespace_counts
-- Namespaces of an account with the number of images having a keyword in each.
SELECT k.namespace, count(DISTINCT k.image_id) AS count
FROM image_keywords AS k JOIN images AS i USING (image_id)
WHERE i.account_id = ? AND k.namespace != ''
GROUP BY k.namespace
ORDER BY count DESC, k.namespace
LIMIT ? OFFSET ?;
