-- Each tag's own timeline: the instant an article tagged with it is (or goes) live, kept by
-- triggers beside the tag link, so a tag's page and its count read one index range.
ALTER TABLE article_tags ADD COLUMN live_at TIMESTAMP;
UPDATE article_tags t SET live_at = CASE WHEN a.status = 'published' THEN a.published_at END
FROM articles a WHERE a.id = t.article_id;
CREATE INDEX article_tags_timeline ON article_tags (tag_id, live_at, article_id);

CREATE FUNCTION article_tags_live_on_link() RETURNS trigger AS $$
BEGIN
    SELECT CASE WHEN a.status = 'published' THEN a.published_at END INTO NEW.live_at
    FROM articles a WHERE a.id = NEW.article_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER article_tags_live_on_link BEFORE INSERT ON article_tags
FOR EACH ROW EXECUTE FUNCTION article_tags_live_on_link();

CREATE FUNCTION article_tags_live_on_publish() RETURNS trigger AS $$
BEGIN
    UPDATE article_tags
    SET live_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE article_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER article_tags_live_on_publish AFTER UPDATE OF status, published_at ON articles
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at)
EXECUTE FUNCTION article_tags_live_on_publish();
