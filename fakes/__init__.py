"""In-memory fake servers of each system, and a toolkit to build new ones."""
