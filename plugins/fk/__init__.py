"""The bundled F/K connector, registered through the ``syncwright.plugins`` entry point."""

from plugins.fk.connector import FkConnector, FkSettings

plugin = FkConnector()

__all__ = ["FkConnector", "FkSettings", "plugin"]
