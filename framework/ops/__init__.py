"""What the CLI and the console both do: one function per operation, no copy per surface."""
