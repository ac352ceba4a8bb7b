"""The bundled Edge connector, registered through the ``syncwright.plugins`` entry point."""

from plugins.edge.connector import EdgeConnector
from plugins.edge.settings import EdgeSettings

plugin = EdgeConnector()

__all__ = ["EdgeConnector", "EdgeSettings", "plugin"]
