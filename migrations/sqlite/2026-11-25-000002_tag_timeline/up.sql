-- Each tag's own timeline: the instant an article tagged with it is (or goes) live, kept by
-- triggers beside the tag link, so a tag's page and its count read one index range.
ALTER TABLE article_tags ADD COLUMN live_at TIMESTAMP;
UPDATE article_tags SET live_at = (
    SELECT CASE WHEN a.status = 'published' THEN a.published_at END
    FROM articles a WHERE a.id = article_tags.article_id
);
CREATE INDEX article_tags_timeline ON article_tags (tag_id, live_at, article_id);

CREATE TRIGGER article_tags_live_on_link AFTER INSERT ON article_tags
BEGIN
    UPDATE article_tags SET live_at = (
        SELECT CASE WHEN a.status = 'published' THEN a.published_at END
        FROM articles a WHERE a.id = NEW.article_id
    )
    WHERE article_id = NEW.article_id AND tag_id = NEW.tag_id;
END;

CREATE TRIGGER article_tags_live_on_publish AFTER UPDATE OF status, published_at ON articles
BEGIN
    UPDATE article_tags
    SET live_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE article_id = NEW.id;
END;
