from .context import new_request_id, request_id_var, source_var


class RequestIdMiddleware:
    """Gives every request an id that the change log and access log record."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request.headers.get("X-Request-Id") or new_request_id()
        token = request_id_var.set(request.id)
        source_token = source_var.set("api" if request.path.startswith("/api/") else "web")
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            source_var.reset(source_token)
        response["X-Request-Id"] = request.id
        return response
