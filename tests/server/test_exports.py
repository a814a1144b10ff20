"""mastra.server's public names and its route table."""

from __future__ import annotations

import mastra.server
from mastra.server import PERMISSIONS, ROLES, api_routes


def test_all_names_are_present() -> None:  # their order is ruff's (RUF022)
    for name in mastra.server.__all__:
        assert hasattr(mastra.server, name), name


def test_every_route_asks_for_a_known_permission() -> None:
    for route in api_routes():
        assert route.permission is None or route.permission in PERMISSIONS, route.path
        if route.method != "GET" and not route.path.startswith("/health"):
            assert route.permission is not None, route.path
    assert ROLES["admin"] == frozenset(PERMISSIONS)
