DROP TRIGGER article_authors_live_on_publish;
DROP TRIGGER article_authors_live_on_link;
DROP TABLE article_authors;
