"""ASGI apps for the HTTP benchmark, selected by BENCH_VARIANT (uvicorn --factory apps:make)."""

from __future__ import annotations

import os

from fastapi import FastAPI


def _bare() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def make() -> FastAPI:
    variant = os.environ["BENCH_VARIANT"]
    if variant in {"full", "full-off", "observability"}:
        from oversight.config import get_settings
        from oversight.main import create_app

        app = create_app(get_settings())
        if variant != "full":
            # Without the edge layers (client address, headers, allowlists, body limit, rate
            # limits): "full-off" is then the app with no middleware of ours at all.
            from oversight.edge.middleware import GuardMiddleware, TransportMiddleware

            edge = {GuardMiddleware, TransportMiddleware}
            app.user_middleware = [m for m in app.user_middleware if m.cls not in edge]
        return app
    app = _bare()
    if variant == "metrics":
        from oversight.observability.middleware import ObservabilityMiddleware

        app.add_middleware(ObservabilityMiddleware, metrics_enabled=True, access_log=False)
    elif variant == "edge":
        # The edge layers with their production defaults (per-address limit in memory, with a
        # ceiling wrk never reaches), on the bare app.
        from oversight.config import Settings
        from oversight.edge.app import install_edge

        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            ratelimit={"rules": {"default": {"per_ip": "100000/second"}}},
        )
        install_edge(app, settings)
    elif variant == "instrumentator":
        from prometheus_fastapi_instrumentator import Instrumentator

        Instrumentator().instrument(app)
    return app
