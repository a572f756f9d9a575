-- Why the spam check held a comment back (shown to editors; cleared when released).
ALTER TABLE comments ADD COLUMN spam_reason TEXT;
