"""The operations engine: every write becomes an operation, queued durably and run in the background."""
