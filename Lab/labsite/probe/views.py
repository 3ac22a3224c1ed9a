"""Views the lab's scenarios use: a health check, a normal page, and faults on demand."""
import os
import time

from django.http import HttpResponse, HttpResponseBadRequest

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
    # 20 kB in one header: larger than nginx's default proxy_buffer_size (4k/8k),
    # so nginx answers 502 "upstream sent too big header".
    response = HttpResponse("big header\n", content_type="text/plain")
    response["X-Big"] = "x" * 20 * 1024
    return response
