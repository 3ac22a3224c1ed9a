"""Views the lab's scenarios use: a health check, a normal page, and faults on demand."""
import os
import time

from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse

# The upper bound keeps a mistyped scenario from hanging a worker forever.
MAX_SLEEP_SECONDS = 120.0


def health(request):
    return HttpResponse("ok", content_type="text/plain")


def index(request):
    return HttpResponse(f"labsite pid {os.getpid()}\n", content_type="text/plain")


def slow(request):
    try:
        seconds = float(request.GET.get("s", "1"))
    except ValueError:
        return HttpResponseBadRequest("s must be a number of seconds\n")
    seconds = max(0.0, min(seconds, MAX_SLEEP_SECONDS))
    time.sleep(seconds)
    return HttpResponse(f"slept {seconds}\n", content_type="text/plain")


def boom(request):
    raise RuntimeError("boom: the lab asked for a 500")


def bigheader(request):
    # 20 kB in one header by default (?kb=N for another size, at most 1024): larger than
    # nginx's default proxy_buffer_size (4k/8k), so nginx answers 502 "upstream sent too
    # big header".
    try:
        kb = int(request.GET.get("kb", "20"))
    except ValueError:
        return HttpResponseBadRequest("kb must be a whole number of kilobytes\n")
    kb = max(0, min(kb, 1024))
    response = HttpResponse("big header\n", content_type="text/plain")
    response["X-Big"] = "x" * kb * 1024
    return response


def cut(request):
    # Promises a body of ?bytes=N (default 100000), sends the first 1000 bytes, then the
    # worker process exits: the connection closes mid-body after a complete 200 header,
    # so nginx logs "upstream prematurely closed connection while reading upstream" and
    # the client gets a truncated 200. gunicorn starts a new worker.
    try:
        promised = int(request.GET.get("bytes", "100000"))
    except ValueError:
        return HttpResponseBadRequest("bytes must be a whole number\n")
    promised = max(2000, min(promised, 10_000_000))

    def body():
        yield b"x" * 1000
        os._exit(1)

    response = StreamingHttpResponse(body(), content_type="application/octet-stream")
    response["Content-Length"] = str(promised)
    return response
