"""WSGI app for recording real gunicorn kills: /stuck blocks SIGABRT and sleeps past --timeout
(gunicorn's abort cannot end it, so the master SIGKILLs it after WORKER TIMEOUT); /eat allocates
until the unit's memory limit makes the kernel OOM-kill the worker."""
import signal
import time


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/stuck":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGABRT})
        time.sleep(30)
    elif path == "/eat":
        hog = []
        for _ in range(100):
            hog.append(bytearray(20 << 20))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
