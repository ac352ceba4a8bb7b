"""The bundled IdoSell connector, registered through the ``syncwright.plugins`` entry point."""

from plugins.idosell.api import IdoSellSettings
from plugins.idosell.connector import IdoSellConnector

plugin = IdoSellConnector()

__all__ = ["IdoSellConnector", "IdoSellSettings", "plugin"]
