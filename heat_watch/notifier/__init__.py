"""Alarm actions: the engine's sender (client), the notifier daemon (service),
one plugin module per URL scheme (log, rest) and the retry policy."""
