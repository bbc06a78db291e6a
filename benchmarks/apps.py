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
    if variant in {"full", "full-off"}:
        from oversight.config import get_settings
        from oversight.main import create_app

        return create_app(get_settings())
    app = _bare()
    if variant == "metrics":
        from oversight.observability.middleware import ObservabilityMiddleware

        app.add_middleware(ObservabilityMiddleware, metrics_enabled=True, access_log=False)
    elif variant == "instrumentator":
        from prometheus_fastapi_instrumentator import Instrumentator

        Instrumentator().instrument(app)
    return app
