-- Preview links carry their article's preview generation: revoking the links advances it,
-- and every link signed with an earlier one stops working at once.
ALTER TABLE articles ADD COLUMN preview_generation INTEGER NOT NULL DEFAULT 0;
