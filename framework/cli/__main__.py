"""``python -m framework.cli`` is the ``syncwright`` command."""

from framework.cli.app import main

main()
