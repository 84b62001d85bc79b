#!/usr/bin/env python3
"""One DNS question, as a guest's resolver would ask it, for the VM DNS's host tests.

Usage: dnsquery.py SERVER PORT NAME TYPE udp|tcp TIMEOUT_SECONDS [SOURCE_ADDRESS]
Prints the reply's RCODE and the A answers, e.g. "NOERROR 10.231.4.7", or TIMEOUT.
"""
import random
import socket
import struct
import sys

server, port, name, qtype, proto, timeout = sys.argv[1:7]
source = (sys.argv[7], 0) if len(sys.argv) > 7 else None
port, timeout = int(port), float(timeout)
TYPES = {"A": 1, "PTR": 12, "AAAA": 28}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}

qid = random.randrange(65536)
query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
for label in name.rstrip(".").split("."):
    query += bytes([len(label)]) + label.encode()
query += b"\0" + struct.pack(">HH", TYPES[qtype], 1)


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


try:
    if proto == "udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if source:
            sock.bind(source)
        sock.settimeout(timeout)
        sock.sendto(query, (server, port))
        reply = sock.recv(65535)
    else:
        sock = socket.create_connection((server, port), timeout=timeout, source_address=source)
        sock.sendall(struct.pack(">H", len(query)) + query)
        (length,) = struct.unpack(">H", recv_exactly(sock, 2))
        reply = recv_exactly(sock, length)
except socket.timeout:
    print("TIMEOUT")
    sys.exit(0)

rid, flags, qdcount, ancount, _, _ = struct.unpack(">HHHHHH", reply[:12])
if rid != qid:
    print("WRONG-ID")
    sys.exit(0)


def skip_name(data, i):
    while True:
        length = data[i]
        if length == 0:
            return i + 1
        if length & 0xC0 == 0xC0:
            return i + 2
        i += 1 + length


i = 12
for _ in range(qdcount):
    i = skip_name(reply, i) + 4
out = [RCODES.get(flags & 0xF, str(flags & 0xF))]
for _ in range(ancount):
    i = skip_name(reply, i)
    rtype, _, _, rdlength = struct.unpack(">HHIH", reply[i : i + 10])
    i += 10
    if rtype == 1:
        out.append(socket.inet_ntoa(reply[i : i + 4]))
    i += rdlength
print(" ".join(out))
