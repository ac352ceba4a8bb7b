"""The bundled IdoSell connector, registered through the ``syncwright.plugins`` entry point."""

from plugins.idosell.connector import IdoSellConnector, IdoSellSettings

plugin = IdoSellConnector()

__all__ = ["IdoSellConnector", "IdoSellSettings", "plugin"]
