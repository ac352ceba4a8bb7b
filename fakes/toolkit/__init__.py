"""A toolkit to build fakes: feed store, clock, faults, rate limit, in-process transport."""

from fakes.toolkit.app import build_app, json_response, read_json
from fakes.toolkit.faults import (
    FAULT_KINDS,
    FaultPlan,
    FaultRule,
    FaultState,
    RateLimit,
    plan_from_options,
)
from fakes.toolkit.feed import Clock, FeedStore, iso, parse_time
from fakes.toolkit.gate import Gate
from fakes.toolkit.guard import Problem, SpecGuard
from fakes.toolkit.openapi import Departure, patched, restricted
from fakes.toolkit.serve import BackgroundServer, free_port, serve_forever
from fakes.toolkit.transport import DropConnection, SyncASGITransport

__all__ = [
    "FAULT_KINDS",
    "BackgroundServer",
    "Clock",
    "Departure",
    "DropConnection",
    "FaultPlan",
    "FaultRule",
    "FaultState",
    "FeedStore",
    "Gate",
    "Problem",
    "RateLimit",
    "SpecGuard",
    "SyncASGITransport",
    "build_app",
    "free_port",
    "iso",
    "json_response",
    "parse_time",
    "patched",
    "plan_from_options",
    "read_json",
    "restricted",
    "serve_forever",
]
