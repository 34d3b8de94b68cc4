"""Scores, rankings and the dashboard: every number able to explain how it was computed."""
