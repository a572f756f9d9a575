-- PostgreSQL only (heads of its GIN index's lists); SQLite's FTS5 index keeps its own order.
SELECT 1;
