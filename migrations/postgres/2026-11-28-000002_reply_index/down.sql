DROP INDEX comments_replies;
CREATE INDEX comments_parent ON comments (parent_id);
