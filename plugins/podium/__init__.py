"""The bundled Podium connector, registered through the ``syncwright.plugins`` entry point."""

from plugins.podium.connector import PodiumConnector
from plugins.podium.settings import PodiumSettings

plugin = PodiumConnector()

__all__ = ["PodiumConnector", "PodiumSettings", "plugin"]
