"""The conformance suite: a pytest plugin that proves a connector honours the rules."""
