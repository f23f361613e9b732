-- name: insert_operation
-- A new queued operation (with the batch it belongs to, if any).
INSERT INTO operations (uuid, account_id, type, dialect, status, urgent, params,
                        image_public_uuids, progress_total, created_at, parent_op_id)
VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)
RETURNING *;

-- name: operation_by_uuid
-- One operation of an account, by uuid.
SELECT * FROM operations WHERE uuid = ? AND account_id = ?;

-- name: operation_by_op_id
-- One operation of an account, by op_id.
SELECT * FROM operations WHERE op_id = ? AND account_id = ?;

-- name: operation_by_id
-- One operation, whatever its account (for the engine).
SELECT * FROM operations WHERE op_id = ?;

-- name: count_queued_for_account
-- How many operations of an account wait in the queue (for the queue bound).
SELECT count(*) AS n FROM operations
WHERE account_id = ? AND status = 'queued' AND parent_op_id IS NULL;

-- name: claim_operation
-- Atomically take the next queued operation: urgent first, then first in, first out.
UPDATE operations
SET status = 'running', started_at = ?, attempts = attempts + 1, revision = revision + 1
WHERE op_id = (
    SELECT op_id FROM operations WHERE status = 'queued' AND parent_op_id IS NULL
    ORDER BY urgent DESC, op_id LIMIT 1
)
RETURNING *;

-- name: update_progress
-- Record the progress of a running operation; progress that did not move is no new revision.
UPDATE operations
SET progress_total = ?1, progress_done = ?2, progress_failed = ?3, revision = revision + 1
WHERE op_id = ?4 AND status = 'running'
  AND (progress_total, progress_done, progress_failed) IS NOT (?1, ?2, ?3)
RETURNING op_id, uuid, account_id, revision, status;

-- name: finish_operation
-- Move a running operation to its terminal state.
UPDATE operations
SET status = ?, result = ?, error = ?, finished_at = ?,
    progress_total = ?, progress_done = ?, progress_failed = ?, revision = revision + 1
WHERE op_id = ? AND status = 'running'
RETURNING op_id, uuid, account_id, revision, status;

-- name: cancel_queued_operation
-- Cancel an operation that has not started.
UPDATE operations
SET status = 'canceled', finished_at = ?, result = ?, revision = revision + 1
WHERE op_id = ? AND status = 'queued'
RETURNING op_id, uuid, account_id, revision, status;

-- name: request_cancel
-- Ask a running operation to stop at its next item (kept across a restart).
UPDATE operations SET cancel_requested = 1 WHERE op_id = ? AND status = 'running'
RETURNING op_id, uuid, account_id, revision, status;

-- name: requeue_operation
-- Put a running operation back in the queue (shutdown before it could finish).
UPDATE operations
SET status = 'queued', started_at = NULL, revision = revision + 1
WHERE op_id = ? AND status = 'running'
RETURNING op_id, uuid, account_id, revision, status;

-- name: recover_running_operations
-- At start-up: operations a dead process left running go back to the queue.
UPDATE operations
SET status = 'queued', started_at = NULL, revision = revision + 1
WHERE status = 'running' AND cancel_requested = 0
RETURNING op_id, uuid, account_id, revision, status;

-- name: recover_canceled_operations
-- At start-up: a running operation whose cancel was asked for ends canceled, not rerun.
UPDATE operations
SET status = 'canceled', finished_at = ?, result = ?, revision = revision + 1
WHERE status = 'running' AND cancel_requested = 1
RETURNING op_id, uuid, account_id, revision, status;

-- name: unfinished_operations
-- The operations not in a terminal state (their ETags are kept in memory).
SELECT op_id, uuid, account_id, revision, status FROM operations
WHERE status IN ('queued', 'running');

-- name: delete_finished_operations
-- Retention: finished operations older than the cutoff.
DELETE FROM operations WHERE finished_at IS NOT NULL AND finished_at < ? RETURNING op_id, uuid;

-- name: idempotency_key
-- The record of an idempotency key of an account.
SELECT fingerprint, op_id, created_at FROM idempotency_keys WHERE account_id = ? AND key = ?;

-- name: insert_idempotency_key
-- Remember which operation a key started.
INSERT INTO idempotency_keys (account_id, key, fingerprint, op_id, created_at)
VALUES (?, ?, ?, ?, ?);

-- name: delete_idempotency_key
-- Forget a key (it expired).
DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?;

-- name: delete_expired_idempotency_keys
-- Retention: keys older than the cutoff.
DELETE FROM idempotency_keys WHERE created_at < ?;

-- name: children_of
-- The operations of a batch, in their order.
SELECT * FROM operations WHERE parent_op_id = ? ORDER BY op_id;

-- name: cancel_queued_children
-- Cancel the operations of a batch that was canceled before it started.
UPDATE operations
SET status = 'canceled', finished_at = ?, result = ?, revision = revision + 1
WHERE parent_op_id = ? AND status = 'queued'
RETURNING op_id, uuid, account_id, revision, status;

-- name: finish_child
-- End an operation of a batch (it never runs on its own, so it goes from queued).
UPDATE operations
SET status = ?, result = ?, error = ?, finished_at = ?,
    progress_total = ?, progress_done = ?, progress_failed = ?, revision = revision + 1
WHERE op_id = ? AND status = 'queued'
RETURNING op_id, uuid, account_id, revision, status;

-- name: queue_depth
-- Queued and running operations of every account, for the metrics (on partial indexes; a
-- batch's items are no queue of their own: their batch runs them).
SELECT (SELECT count(*) FROM operations WHERE status = 'queued' AND parent_op_id IS NULL) AS queued,
       (SELECT count(*) FROM operations WHERE status = 'running') AS running;
