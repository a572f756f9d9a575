DROP TABLE article_slugs;
