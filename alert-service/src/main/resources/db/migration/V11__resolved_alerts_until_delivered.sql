-- A resolved alert stays in its notification group until a notification carrying it is delivered (or fails for a
-- reason that will not pass): the alert lists the notifications that carry its current state and have not failed,
-- and the deliveries of one notification (one, or one per alert for PagerDuty) share that notification's id.
ALTER TABLE notification_group_alerts ADD COLUMN notified_in UUID[];
ALTER TABLE webhook_deliveries ADD COLUMN notification_id UUID;
