"""Demos: fakes seeded with realistic data, synced by the real engine, shown with the rules."""
