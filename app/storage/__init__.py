"""Storage: the SQLite database, its migrations and named queries, and the typed stores over them."""
