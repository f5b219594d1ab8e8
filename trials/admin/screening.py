"""Admin for questions and criteria (pre-screener)."""
