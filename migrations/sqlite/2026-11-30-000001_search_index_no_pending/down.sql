-- PostgreSQL only (its GIN index's pending list); SQLite's FTS5 index has none.
SELECT 1;
