-- The newest published articles holding each searched word, in publication order: the head of
-- the word's list of matches, which the GIN index cannot give. GIN keeps a word's matches by
-- row address, so a search's newest 20 cost gathering and sorting all of a word's matches, or
-- walking the list and reading each row's search vector (2.7 ms of the database's time for a
-- search page at a million articles). A search's first pages read a head instead: one range
-- of an index per word.
--
-- A head is exact from its floor up: it holds every article with the word that is published
-- (whatever its publish time) and whose (published_at, id) is at or above (floor_at, floor_id);
-- every such article when the floor is NULL. The trigger below keeps that true at every write,
-- in the write's own transaction. The server builds the heads of the words readers search and
-- raises floors to keep heads short (`service::articles::heads`); entries below a floor may
-- linger until then and are never read. Who may see an entry (published by now) is decided
-- when it is read.
CREATE TABLE search_heads (
    lexeme TEXT PRIMARY KEY,
    floor_at TIMESTAMP,
    floor_id BIGINT,
    CHECK ((floor_at IS NULL) = (floor_id IS NULL))
);

CREATE TABLE search_head_entries (
    lexeme TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    article_id BIGINT NOT NULL,
    PRIMARY KEY (lexeme, published_at, article_id)
);

-- Every write that may change what a head holds takes this lock shared; building a head or
-- raising its floor takes it exclusively, so no write falls between a head's reading of the
-- articles and its commit. (The key is the server's own: `db::search::HEADS_LOCK`.)
CREATE FUNCTION search_heads_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_in BOOLEAN := TG_OP <> 'INSERT' AND OLD.status = 'published' AND OLD.published_at IS NOT NULL;
    is_in BOOLEAN := TG_OP <> 'DELETE' AND NEW.status = 'published' AND NEW.published_at IS NOT NULL;
BEGIN
    IF was_in AND is_in AND OLD.published_at = NEW.published_at
            AND OLD.search_vector = NEW.search_vector THEN
        RETURN NULL;
    END IF;
    IF NOT (was_in OR is_in) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(7163505202);
    IF was_in THEN
        DELETE FROM search_head_entries
        WHERE lexeme = ANY (tsvector_to_array(OLD.search_vector))
          AND published_at = OLD.published_at AND article_id = OLD.id;
    END IF;
    IF is_in THEN
        INSERT INTO search_head_entries (lexeme, published_at, article_id)
        SELECT h.lexeme, NEW.published_at, NEW.id
        FROM search_heads h
        WHERE h.lexeme = ANY (tsvector_to_array(NEW.search_vector))
          AND (h.floor_at IS NULL OR (NEW.published_at, NEW.id) >= (h.floor_at, h.floor_id))
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER search_heads_keep
    AFTER INSERT OR DELETE OR UPDATE OF status, published_at, title, body ON articles
    FOR EACH ROW EXECUTE FUNCTION search_heads_keep();
