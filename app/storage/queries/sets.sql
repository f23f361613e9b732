-- name: set_by_uuid
-- One set of an account, by public uuid, with its summary columns.
SELECT * FROM set_summaries WHERE public_uuid = ? AND account_id = ?;

-- name: set_by_id
-- One set by its row id, with its summary columns.
SELECT * FROM set_summaries WHERE set_id = ?;

-- name: sets_top_level
-- A page of an account's top-level sets, in order.
SELECT * FROM set_summaries WHERE account_id = ? AND parent_id IS NULL
ORDER BY position, set_id LIMIT ? OFFSET ?;

-- name: sets_children
-- A page of a set's sub-sets, in order.
SELECT * FROM set_summaries WHERE parent_id = ?
ORDER BY position, set_id LIMIT ? OFFSET ?;

-- name: sets_for_tree
-- Every set of an account with its direct member count, siblings in order (for the tree).
SELECT s.set_id, s.public_uuid, s.parent_id, s.name,
       (SELECT count(*) FROM set_images m WHERE m.set_id = s.set_id) AS image_count
FROM sets s WHERE s.account_id = ?
ORDER BY s.position, s.set_id;

-- name: sibling_sets
-- The uuids and ids of the sets under a parent (NULL: the top level) of an account, in order.
SELECT public_uuid, set_id FROM sets WHERE account_id = ? AND parent_id IS ? ORDER BY position, set_id;

-- name: next_sibling_position
-- Where a set appended under a parent (NULL: the top level) goes among its siblings.
SELECT coalesce(max(position) + 1, 0) AS next FROM sets WHERE account_id = ? AND parent_id IS ?;

-- name: insert_set
-- A new set.
INSERT INTO sets (public_uuid, account_id, parent_id, position, name, colour, description, type,
                  created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: move_set_under
-- Give a set a new parent (NULL: the top level) and its place there.
UPDATE sets SET parent_id = ?, position = ?, updated_at = ? WHERE set_id = ?;

-- name: order_sets
-- Number sets by their index in a JSON array of set ids.
UPDATE sets SET position = j.key FROM json_each(?) AS j WHERE sets.set_id = j.value;

-- name: touch_set
-- Note that a set changed.
UPDATE sets SET updated_at = ? WHERE set_id = ?;

-- name: delete_set
-- Remove a set; sub-sets, memberships and snapshots go with it, images stay.
DELETE FROM sets WHERE set_id = ?;

-- name: subtree_size
-- How many sets a set and its descendants are.
WITH RECURSIVE subtree (set_id) AS (
    SELECT ?
    UNION ALL
    SELECT s.set_id FROM sets s JOIN subtree t ON s.parent_id = t.set_id
)
SELECT count(*) AS n FROM subtree;

-- name: is_ancestor_or_self
-- Whether the first set is the second or one of its ancestors (walked up from the second).
WITH RECURSIVE ancestors (set_id) AS (
    SELECT ?2
    UNION
    SELECT s.parent_id FROM sets s JOIN ancestors a ON s.set_id = a.set_id
    WHERE s.parent_id IS NOT NULL
)
SELECT EXISTS (SELECT 1 FROM ancestors WHERE set_id = ?1) AS found;

-- name: member_ids
-- The image uuids and ids of a set, in set order.
SELECT i.public_uuid, m.image_id FROM set_images m JOIN images i ON i.image_id = m.image_id
WHERE m.set_id = ? ORDER BY m.position, m.image_id;

-- name: members_page
-- A page of a set's images in set order; hidden only until its activation time (bound as now).
SELECT i.*,
       m.hidden AND (m.activation_time IS NULL OR m.activation_time > :now) AS member_hidden,
       m.activation_time AS member_activation_time
FROM set_images m JOIN images i ON i.image_id = m.image_id
WHERE m.set_id = :set_id
ORDER BY m.position, m.image_id LIMIT :limit OFFSET :offset;

-- name: next_member_position
-- Where an image appended to a set goes in its order.
SELECT coalesce(max(position) + 1, 0) AS next FROM set_images WHERE set_id = ?;

-- name: add_members
-- Append the images of a JSON array in its order, skipping members; an image coming from
-- :source (a set id, or NULL) keeps its visibility there.
INSERT INTO set_images (set_id, image_id, position, hidden, activation_time)
SELECT :set_id, j.value, :first + j.key, coalesce(src.hidden, 0), src.activation_time
FROM json_each(:image_ids) AS j
LEFT JOIN set_images src ON src.set_id = :source AND src.image_id = j.value
WHERE true
ON CONFLICT (set_id, image_id) DO NOTHING;

-- name: remove_members
-- Take the images of a JSON array out of a set.
DELETE FROM set_images WHERE set_id = ? AND image_id IN (SELECT value FROM json_each(?));

-- name: order_members
-- Number a set's members by their index in a JSON array of image ids. Materialised, the array
-- drives the join; otherwise SQLite walks the set and scans the whole array for every member.
WITH j AS MATERIALIZED (SELECT key, value FROM json_each(?))
UPDATE set_images SET position = j.key FROM j
WHERE set_images.set_id = ? AND set_images.image_id = j.value;

-- name: set_members_visibility
-- Hide or show the members of a set among a JSON array of image ids.
UPDATE set_images SET hidden = ?, activation_time = ?
WHERE set_id = ? AND image_id IN (SELECT value FROM json_each(?));

-- name: non_member_indexes
-- The indexes, in a JSON array of image ids, of those that are not members of a set.
SELECT j.key AS idx FROM json_each(?) AS j
WHERE NOT EXISTS (SELECT 1 FROM set_images m WHERE m.set_id = ? AND m.image_id = j.value)
ORDER BY j.key;

-- name: missing_image_indexes
-- The indexes, in a JSON array of image ids, of those that are not (or no longer) the account's.
SELECT j.key AS idx FROM json_each(?) AS j
WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.image_id = j.value AND i.account_id = ?)
ORDER BY j.key;

-- name: clear_members
-- Empty a set.
DELETE FROM set_images WHERE set_id = ?;

-- name: insert_snapshot
-- A snapshot header for a set's membership as it is now.
INSERT INTO set_snapshots (public_uuid, set_id, operation_type, image_count, created_at)
SELECT :public_uuid, :set_id, :operation_type, count(*), :created_at
FROM set_images WHERE set_id = :set_id;

-- name: copy_members_to_snapshot
-- The members of a set, with order and visibility, into a snapshot.
INSERT INTO set_snapshot_images (snapshot_id, image_id, position, hidden, activation_time)
SELECT ?, image_id, position, hidden, activation_time FROM set_images WHERE set_id = ?;

-- name: prune_snapshots
-- Keep only a set's newest snapshots (the count to keep is bound as the offset).
DELETE FROM set_snapshots WHERE set_id = ?1 AND snapshot_id <= (
    SELECT snapshot_id FROM set_snapshots WHERE set_id = ?1
    ORDER BY snapshot_id DESC LIMIT 1 OFFSET ?2
);

-- name: snapshots_newest
-- A page of a set's snapshots, newest first.
SELECT * FROM set_snapshots WHERE set_id = ? ORDER BY snapshot_id DESC LIMIT ? OFFSET ?;

-- name: snapshot_by_uuid
-- One snapshot of a set, by public uuid.
SELECT * FROM set_snapshots WHERE public_uuid = ? AND set_id = ?;

-- name: snapshot_by_id
-- One snapshot by its row id.
SELECT * FROM set_snapshots WHERE snapshot_id = ?;

-- name: restore_members
-- Fill a set from a snapshot (the set is emptied first); images deleted since are gone from it.
INSERT INTO set_images (set_id, image_id, position, hidden, activation_time)
SELECT ?, image_id, position, hidden, activation_time FROM set_snapshot_images WHERE snapshot_id = ?;

-- name: sets_of_images
-- The sets each image (ids in a JSON array) is a member of, by name.
SELECT m.image_id, s.public_uuid, s.name FROM set_images AS m JOIN sets AS s USING (set_id)
WHERE m.image_id IN (SELECT value FROM json_each(?))
ORDER BY m.image_id, s.name, s.set_id;
