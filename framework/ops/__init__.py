"""What operators do, as plain functions: the CLI calls them, and so will the console.

``plan`` (what a run would do), ``held`` (approve or reject what the guard held),
``history`` (why did this record change?), ``links`` (link and unlink by hand). Each takes
an engine or a store and returns data; printing is the caller's.
"""
