-- Operations of a batch: run by their batch, in its transaction, never claimed on their own.
ALTER TABLE operations ADD COLUMN parent_op_id INTEGER REFERENCES operations (op_id) ON DELETE CASCADE;

CREATE INDEX operations_children ON operations (parent_op_id) WHERE parent_op_id IS NOT NULL;

DROP INDEX operations_queue;
CREATE INDEX operations_queue ON operations (urgent DESC, op_id)
    WHERE status = 'queued' AND parent_op_id IS NULL;

DROP INDEX operations_queued_by_account;
CREATE INDEX operations_queued_by_account ON operations (account_id)
    WHERE status = 'queued' AND parent_op_id IS NULL;
