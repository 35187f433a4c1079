-- A flag with weighted variants has one treated window per variant for each interval, each compared with the one
-- control window of that interval by the comparative rules: the variant is part of a waiting window's identity.
-- '' for the control and for the treatment of a flag without weights (a key column cannot be null).
ALTER TABLE cohort_windows ADD COLUMN variant VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE cohort_windows DROP CONSTRAINT cohort_windows_pkey;
ALTER TABLE cohort_windows ADD PRIMARY KEY (flag_key, window_kind, window_start, window_end, cohort, variant);
