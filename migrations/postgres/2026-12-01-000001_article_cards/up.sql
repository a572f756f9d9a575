-- What a summary shows beside its article's row, kept with the article at write time: its
-- tags and bylines in order (id, slug, name) and its share counts per network, as one JSON
-- object {"t": [[id, slug, name]...], "a": [[id, slug, name]...], "s": [[network, count]...]}.
-- Read through the links, the same took a statement over three tables and ~5 lookups per
-- summary: about a quarter of an uncached latest page. The links stay the truth: every write
-- to them, and a tag's or an author's rename, rebuilds the cards concerned from them with the
-- statement below (`db::articles::cards`); a summary without a card is read through the links.
-- Its own table, not a column of `articles`: rewriting an article's row would also write its
-- search index's entries again.
CREATE TABLE article_cards (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    card TEXT NOT NULL
);

INSERT INTO article_cards (article_id, card)
SELECT a.id, json_build_object(
    't', COALESCE((SELECT json_agg(json_build_array(t.id, t.slug, t.name) ORDER BY l.position)
          FROM article_tags l JOIN tags t ON t.id = l.tag_id WHERE l.article_id = a.id), '[]'),
    'a', COALESCE((SELECT json_agg(json_build_array(u.id, u.slug, u.name) ORDER BY l.position)
          FROM article_authors l JOIN users u ON u.id = l.user_id WHERE l.article_id = a.id), '[]'),
    's', COALESCE((SELECT json_agg(json_build_array(s.network, s.count))
          FROM article_shares s WHERE s.article_id = a.id), '[]'))::text
FROM articles a;
