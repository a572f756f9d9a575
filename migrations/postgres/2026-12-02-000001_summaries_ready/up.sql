-- Each article's summary as lists show it, kept as JSON text beside its card: a page of
-- summaries then reads one text per article and writes it out as it is, where building each
-- summary from its row and card and writing it as JSON was over half of an uncached latest
-- page. The counters that move without any other change (`view_count`, `comment_count`) are
-- not in it: a list adds them from the article's row as it reads it.
--
-- NULL means "to be written": every rebuild of a card and every write to the article's row
-- sets it back to NULL in the same transaction, and the write renders it before it commits
-- (`service::articles::summaries`); what a write leaves (a rename reaching thousands of
-- articles, rows from before this migration) is rendered in the background. A list finds an
-- article without one, or with one of an older version, and builds that summary as before.
ALTER TABLE article_cards ADD COLUMN summary TEXT;
-- The article's `version` the summary was rendered from.
ALTER TABLE article_cards ADD COLUMN summary_version INTEGER;
CREATE INDEX article_cards_unrendered ON article_cards (article_id) WHERE summary IS NULL;
