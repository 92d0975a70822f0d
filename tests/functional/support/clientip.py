"""Like agnhost's /clientip: `serve ADDR PORT` answers each TCP connection with the peer address;
`ask SERVER PORT SOURCE TIMEOUT` connects from SOURCE and prints the answer (or `error: ...`).

Run inside a test's own network namespace (tests/functional/support/netns.py).
"""
import socket
import sys


def serve(address, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((address, port))
        server.listen(16)
        print("ready", flush=True)
        while True:
            conn, peer = server.accept()
            with conn:
                conn.sendall(f"{peer[0]}\n".encode())


def ask(server, port, source, timeout):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.bind((source, 0))
            sock.connect((server, port))
            print(sock.recv(256).decode().strip())
    except OSError as exc:
        print(f"error: {exc}")


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        ask(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
