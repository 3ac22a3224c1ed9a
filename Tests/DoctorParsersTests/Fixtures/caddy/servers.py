import socket, threading, time, os, sys
def serve(port, handler):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", port)); s.listen(16)
    while True:
        c, _ = s.accept(); threading.Thread(target=handler, args=(c,), daemon=True).start()
def eof(c):
    c.recv(65536); c.close()
def slow(c):
    c.recv(65536); time.sleep(3); c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); c.close()
def ok(c):
    r = c.recv(65536)
    if b"/boom/" in r:
        c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom"); c.close(); return
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"); c.close()
for p, h in ((8002, eof), (8003, slow), (8004, ok)):
    threading.Thread(target=serve, args=(p, h), daemon=True).start()
# permission: a root-only socket; stale: bound then closed without unlink
st = socket.socket(socket.AF_UNIX); st.bind("/tmp/caddy-exp/run/stale.sock"); st.close(); os.chmod("/tmp/caddy-exp/run/stale.sock", 0o666)
os.umask(0o077)
u = socket.socket(socket.AF_UNIX); u.bind("/tmp/caddy-exp/run/private.sock"); u.listen(5)
def reset(c):
    import struct
    c.recv(65536); c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close()
threading.Thread(target=serve, args=(8005, reset), daemon=True).start()
print("ready", flush=True)
time.sleep(60)
