DROP INDEX article_cards_unrendered;
ALTER TABLE article_cards DROP COLUMN summary_version;
ALTER TABLE article_cards DROP COLUMN summary;
