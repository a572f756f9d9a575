-- Revisions: each version of an article's content, status and byline, written in the
-- transaction that made it. `content` is the whole version as JSON (the shape of
-- `service::revisions::Content`), `changed` the JSON array of the fields it changed.
-- Articles older than this table get their first revision when next written.
CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    editor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    changed TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (article_id, version)
);
CREATE INDEX article_revisions_editor ON article_revisions (editor_id);
