"""The ``syncwright`` command line."""
