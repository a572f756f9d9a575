-- Bylines: an article's authors in order, the first its primary (also kept in
-- `articles.author_id` for clients that read one author). Like a tag link, each byline keeps
-- the instant its article is (or goes) live, kept by triggers, so an author's page and its
-- count read one index range whatever the author's share of the archive.
CREATE TABLE article_authors (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    position INTEGER NOT NULL,
    live_at TIMESTAMP,
    PRIMARY KEY (article_id, user_id)
);
CREATE INDEX article_authors_timeline ON article_authors (user_id, live_at, article_id);

INSERT INTO article_authors (article_id, user_id, position, live_at)
SELECT id, author_id, 0, CASE WHEN status = 'published' THEN published_at END FROM articles;

CREATE FUNCTION article_authors_live_on_link() RETURNS trigger AS $$
BEGIN
    SELECT CASE WHEN a.status = 'published' THEN a.published_at END INTO NEW.live_at
    FROM articles a WHERE a.id = NEW.article_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER article_authors_live_on_link BEFORE INSERT ON article_authors
FOR EACH ROW EXECUTE FUNCTION article_authors_live_on_link();

CREATE FUNCTION article_authors_live_on_publish() RETURNS trigger AS $$
BEGIN
    UPDATE article_authors
    SET live_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE article_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER article_authors_live_on_publish AFTER UPDATE OF status, published_at ON articles
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at)
EXECUTE FUNCTION article_authors_live_on_publish();
