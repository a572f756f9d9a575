-- Slugs an article had before its current one: the old URLs keep reaching it (REST answers
-- 301). An article that takes one of them (new, or renamed back) ends that redirect.
CREATE TABLE article_slugs (
    slug TEXT PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    retired_at TIMESTAMP NOT NULL
);
CREATE INDEX article_slugs_article ON article_slugs (article_id);
