DROP TRIGGER article_authors_live_on_publish ON articles;
DROP FUNCTION article_authors_live_on_publish();
DROP TABLE article_authors;
DROP FUNCTION article_authors_live_on_link();
