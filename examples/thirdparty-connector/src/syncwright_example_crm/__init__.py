"""Example CRM: a third-party syncwright connector (``README.md`` holds its API)."""

from syncwright_example_crm.connector import ExampleCrmConnector

plugin = ExampleCrmConnector()

__all__ = ["ExampleCrmConnector", "plugin"]
