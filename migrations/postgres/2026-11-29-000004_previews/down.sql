ALTER TABLE articles DROP COLUMN preview_generation;
