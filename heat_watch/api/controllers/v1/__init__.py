"""/v1: the Heat-compatible orchestration API (python-heatclient's routes)."""
