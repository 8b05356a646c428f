DROP TABLE IF EXISTS lead_assignment_ingests;
DROP TABLE IF EXISTS lead_assignment_secrets;
