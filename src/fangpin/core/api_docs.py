"""The API documentation pages (Swagger UI, Redoc from drf-spectacular-sidecar) under the site's
Content-Security-Policy."""

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from `?script` instead of inline, so the page runs under
    the site-wide policy unchanged."""

    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"


def redoc_view(**initkwargs):
    """Redoc styles its page with styled-components, which writes `<style>` elements at run time, and runs
    its search index in a worker made from a blob: URL. This page only (which shows no data, just the API's
    description) therefore allows inline style elements and blob: workers; scripts stay 'self' only."""
    return csp_update({"style-src-elem": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(
        RedocView.as_view(**initkwargs))
