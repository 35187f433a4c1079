-- When a notification last carried the alert's current state. A resolved alert is dropped from its group once a
-- notification written the repeat interval after it resolved carried it; a notification that left it out (silenced
-- then) does not count, so the group's last_notified_at cannot say. Null: not carried yet, as for the resolved alerts
-- of groups notified before this column (they are carried for at most one more repeat interval, never dropped unsent).
ALTER TABLE notification_group_alerts ADD COLUMN carried_at TIMESTAMPTZ;
