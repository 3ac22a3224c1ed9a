"""Views that kill the worker serving them, for the worker-death scenarios
(Tests/LabTests/WorkerDeathScenarioTests.swift).

What gunicorn's sync-worker timeout does depends on where the worker is stuck. The master
sends SIGABRT first; Python runs the handler (SystemExit in the view) only when the C code
returns to the interpreter. Measured with gunicorn 27.0.1, --timeout 2:

- time.sleep (Python) and libc.sleep through ctypes: the signal interrupts the sleep, the
  handler runs, gunicorn answers 500 itself (nginx logs nothing in error.log);
- a C-level mutex deadlock (below) or hashlib.pbkdf2_hmac with a huge iteration count: the
  worker never returns to Python, the master SIGKILLs it about a second later, and nginx
  logs "upstream prematurely closed connection while reading response header" (502).
"""
import ctypes

from django.http import HttpResponse

_libc = ctypes.CDLL(None, use_errno=True)


def stuck_c(request):
    # A deadlock inside C: a default (non-recursive) pthread mutex locked twice by the same
    # thread. pthread_mutex_lock waits on a futex and resumes waiting after a signal handler
    # returns, so SIGABRT never gets back to Python; only SIGKILL ends the worker. 64 zero
    # bytes are PTHREAD_MUTEX_INITIALIZER on glibc and musl (pthread_mutex_t is 40 bytes on
    # x86_64, 48 on aarch64).
    mutex = ctypes.create_string_buffer(64)
    _libc.pthread_mutex_lock(mutex)
    _libc.pthread_mutex_lock(mutex)
    return HttpResponse("unreachable\n", content_type="text/plain")
