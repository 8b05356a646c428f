-- Intentionally drops nothing.
-- These tables belong to the existing system (other pipelines read and write
-- them); on the production database they existed before this project and the
-- up migration did not create them. Reverting this migration must never remove
-- another pipeline's data, so it only forgets that it ran.
SELECT 1;
