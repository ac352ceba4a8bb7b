"""The pluggy markers of syncwright: one project name for specs and implementations."""

import pluggy

PROJECT = "syncwright"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
