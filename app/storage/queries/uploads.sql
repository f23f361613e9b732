-- name: upload_ticket_by_key
-- The ticket an idempotency key already obtained.
SELECT fingerprint, transaction_uuid, created_at FROM upload_tickets
WHERE account_id = ? AND idempotency_key = ?;

-- name: insert_upload_ticket
-- Remember a ticket, so that retrying its request returns the same one.
INSERT INTO upload_tickets (account_id, idempotency_key, fingerprint, transaction_uuid, created_at)
VALUES (?, ?, ?, ?, ?);

-- name: delete_upload_ticket
-- Forget an expired ticket record.
DELETE FROM upload_tickets WHERE account_id = ? AND idempotency_key = ?;

-- name: account_id_by_uuid
-- The account a signed upload belongs to.
SELECT account_id FROM accounts WHERE public_uuid = ?;

-- name: delete_expired_upload_tickets
-- Retention: ticket records older than the idempotency TTL.
DELETE FROM upload_tickets WHERE created_at < ?;
