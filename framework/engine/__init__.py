"""The sync engine: flows, policies, the three-way merge, reconcile, apply, runs."""
