"""The bundled Square connector, registered through the ``syncwright.plugins`` entry point."""

from plugins.square.connector import SquareConnector
from plugins.square.settings import SquareSettings

plugin = SquareConnector()

__all__ = ["SquareConnector", "SquareSettings", "plugin"]
