"""The API docs page (Swagger UI) served entirely from the package: no CDN, so `/docs` works
on a server without internet access and its policy allows only this origin.

The assets come from the `swagger-ui-py` distribution (Swagger UI 5, which reads OpenAPI
3.1; the older `swagger-ui-bundle` ships Swagger UI 4, which cannot); only the three files the
page loads are served, each by name. The package's folder is found without importing it (its
own code is for other frameworks).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Literal

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
REDIRECT_PATH = f"{DOCS_PATH}/oauth2-redirect"
Asset = Literal["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def _assets_folder() -> Path:
    spec = find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("swagger-ui-py is not installed (pip install swagger-ui-py)")
    return Path(spec.origin).parent / "static"


def install_docs(app: FastAPI, openapi_url: str) -> None:
    """`/docs`, its OAuth2 redirect page and its assets on `app`."""
    assets = _assets_folder()

    @app.api_route(DOCS_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            oauth2_redirect_url=REDIRECT_PATH,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

    @app.api_route(REDIRECT_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def docs_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.api_route(f"{ASSETS_PATH}/{{name}}", methods=["GET", "HEAD"], include_in_schema=False)
    async def docs_asset(name: Asset) -> FileResponse:
        path = assets / name
        return FileResponse(
            str(path),
            media_type=_MEDIA_TYPES[path.suffix],
            headers={"Cache-Control": "public, max-age=86400"},
        )
