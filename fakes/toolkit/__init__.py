"""A toolkit to build fakes: feed store, clock, faults, rate limit, in-process transport."""

from fakes.toolkit.app import build_app, json_response, read_json
from fakes.toolkit.faults import FaultPlan, FaultRule, FaultState, RateLimit
from fakes.toolkit.feed import Clock, FeedStore, iso, parse_time
from fakes.toolkit.serve import BackgroundServer, free_port, serve_forever
from fakes.toolkit.transport import DropConnection, SyncASGITransport

__all__ = [
    "BackgroundServer",
    "Clock",
    "DropConnection",
    "FaultPlan",
    "FaultRule",
    "FaultState",
    "FeedStore",
    "RateLimit",
    "SyncASGITransport",
    "build_app",
    "free_port",
    "iso",
    "json_response",
    "parse_time",
    "read_json",
    "serve_forever",
]
