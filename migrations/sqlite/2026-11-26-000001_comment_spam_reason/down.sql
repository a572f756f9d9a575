ALTER TABLE comments DROP COLUMN spam_reason;
