DROP TRIGGER IF EXISTS article_tags_live_on_publish ON articles;
DROP FUNCTION IF EXISTS article_tags_live_on_publish();
DROP TRIGGER IF EXISTS article_tags_live_on_link ON article_tags;
DROP FUNCTION IF EXISTS article_tags_live_on_link();
DROP INDEX IF EXISTS article_tags_timeline;
ALTER TABLE article_tags DROP COLUMN live_at;
