DROP TRIGGER search_heads_keep ON articles;
DROP FUNCTION search_heads_keep();
DROP TABLE search_head_entries;
DROP TABLE search_heads;
