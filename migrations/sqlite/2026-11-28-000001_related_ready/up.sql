-- Each article's computed related list, kept ready so reading it is one indexed lookup
-- instead of a ranking over its tags' recent articles. `related_ids` holds article ids, best
-- first, comma-separated. It is a cache with a bounded age: a reader finding it older than the
-- configured age recomputes it; an article's own tag or status change drops its row at once.
-- Who may appear (live articles only, never the article itself, curated ones first) is decided
-- when it is read, not here.
CREATE TABLE related_ready (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    related_ids TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL
);
