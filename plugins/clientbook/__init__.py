"""The bundled Clientbook connector, registered through the ``syncwright.plugins`` entry point."""

from plugins.clientbook.connector import ClientbookConnector, ClientbookSettings

plugin = ClientbookConnector()

__all__ = ["ClientbookConnector", "ClientbookSettings", "plugin"]
