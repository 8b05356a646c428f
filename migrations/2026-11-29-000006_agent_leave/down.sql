DROP TABLE IF EXISTS agent_leave;
