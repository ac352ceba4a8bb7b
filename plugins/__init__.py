"""Bundled connectors, each registered through the ``syncwright.plugins`` entry point."""
