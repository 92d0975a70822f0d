"""Flows with both ends known: a server that reports the peer address and port it sees, a client.

`serve ADDR PORT` answers each TCP connection and each UDP datagram on ADDR:PORT with
"<peer address> <peer port>" (what the gateway translated the pod's side to).
`run PROTO SERVER PORT SOURCE COUNT [RATE]` makes COUNT flows from SOURCE (a new source port each)
and prints one JSON line per flow: local address/port, server, and the peer the server saw
(or "error"); RATE (flows per second) spaces them evenly, 0 as fast as possible.

Run inside a test's own network namespaces (tests/functional/support/netns.py).
"""
import json
import select
import socket
import sys
import time


def _family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve(address, port):
    family = _family(address)
    tcp = socket.socket(family, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((address, port))
    tcp.listen(512)
    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((address, port))
    print("ready", flush=True)
    while True:
        readable = select.select([tcp, udp], [], [])[0]
        if tcp in readable:
            conn, peer = tcp.accept()
            with conn:
                conn.sendall(f"{peer[0]} {peer[1]}\n".encode())
        if udp in readable:
            _data, peer = udp.recvfrom(64)
            udp.sendto(f"{peer[0]} {peer[1]}\n".encode(), peer)


def one_flow(protocol, server, port, source, timeout=3):
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    flow = {"protocol": protocol, "source": source, "destination": server, "destination_port": port}
    with socket.socket(_family(server), kind) as sock:
        sock.settimeout(timeout)
        sock.bind((source, 0))
        flow["source_port"] = sock.getsockname()[1]
        try:
            if protocol == "tcp":
                sock.connect((server, port))
                answer = sock.recv(256).decode()
            else:
                sock.sendto(b"x", (server, port))
                answer = sock.recv(256).decode()
            seen, seen_port = answer.split()
            flow["seen"], flow["seen_port"] = seen, int(seen_port)
        except (OSError, ValueError) as exc:
            flow["seen"] = f"error: {exc}"
    return flow


def run(protocol, server, port, source, count, rate=0.0):
    start = time.monotonic()
    for index in range(count):
        if rate:
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        print(json.dumps(one_flow(protocol, server, port, source)), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]),
            float(sys.argv[7]) if len(sys.argv) > 7 else 0.0)
