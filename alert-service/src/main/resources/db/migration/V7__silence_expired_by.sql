-- Who ended a silence early (the X-Rollguard-Actor of the DELETE, else the token's kind), beside when (expired_at):
-- with created_by, a silence's record says who silenced what, and who lifted it.
ALTER TABLE silences ADD COLUMN expired_by VARCHAR(200);
