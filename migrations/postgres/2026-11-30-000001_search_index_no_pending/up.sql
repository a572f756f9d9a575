-- The search index takes each new article's words at once, without GIN's pending list. With
-- the list on, every search scans the whole list (11 ms instead of 1.6 ms for a common word,
-- measured after a few thousand inserts at a million articles), and the planner, costing
-- that, checks rows one by one instead of ANDing the index's bitmap with an id range's. An
-- article's insert stays cheap: a newsroom writes a few a minute.
ALTER INDEX articles_search SET (fastupdate = off);
-- Turning the list off does not merge what it already holds.
SELECT gin_clean_pending_list('articles_search'::regclass);
