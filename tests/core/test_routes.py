"""The routers are tried in the order app.main.ROUTERS gives them, the most requested first. That order must decide
nothing: no path a route answers is also answered, for the same method, by a route of another router."""

import re
import uuid

from starlette.routing import Match

from app.main import ROUTERS, create_app

_PARAM = re.compile(r"\{[^}]+\}")


def _samples(app):
    """(router index, method, a concrete path the route answers, the route's template) for every route."""
    for i, top in enumerate(app.router.routes):
        for ctx in top.effective_route_contexts() if hasattr(top, "effective_route_contexts") else ():
            template = getattr(ctx, "path_format", None) or getattr(ctx.original_route, "path", None)
            if template is None:
                continue
            for method in sorted(getattr(ctx.original_route, "methods", None) or {"GET"}):
                yield i, method, _PARAM.sub(str(uuid.UUID(int=1)), template), template


def test_no_two_routers_answer_the_same_method_and_path():
    app = create_app()
    samples = list(_samples(app))
    assert len({i for i, *_ in samples}) >= len(ROUTERS)  # every router was looked at
    clashes = []
    for i, method, path, template in samples:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
                 "query_string": b"", "app": app}
        full = [j for j, top in enumerate(app.router.routes) if top.matches(dict(scope))[0] == Match.FULL]
        if full != [i]:
            clashes.append((method, template, full))
    assert clashes == []


def test_the_referrals_are_tried_before_the_rarely_used_routers():
    names = [r.routes[0].tags[0] if r.routes and getattr(r.routes[0], "tags", None) else "" for r in ROUTERS]
    assert names.index("referrals") < names.index("agencies") and names.index("consent") < names.index("audit")
