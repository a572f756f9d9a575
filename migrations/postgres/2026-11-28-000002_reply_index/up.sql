-- Replies are found by their parent. Most comments have none, so an index of every comment's
-- parent is mostly NULLs: with statistics taken while no comment had a reply, SQLite judged
-- `parent_id IN (...)` to match every row and scanned the table (190,000 comments per
-- GraphQL article page). An index of replies alone holds only what that lookup can find,
-- in the order replies are shown.
DROP INDEX comments_parent;
CREATE INDEX comments_replies ON comments (parent_id, status, created_at, id) WHERE parent_id IS NOT NULL;
