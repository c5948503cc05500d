"""The bot: training data, intent classifier, decision policy and evaluation (no web, no database)."""
