"""UDP bursts for TapGuardsHostTest's rate limits.

  udp_burst.py listen PORT READY_FILE   counts datagrams until 2 s pass without one (10 s at most
                                        before the first), then prints the count
  udp_burst.py send IP PORT COUNT       sends COUNT datagrams of 1000 bytes as fast as it can, then
                                        prints the seconds it took
"""
import os
import socket
import sys
import time

if sys.argv[1] == "listen":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE: the test runs as root
    s.bind(("0.0.0.0", int(sys.argv[2])))
    open(sys.argv[3], "w").close()
    count = 0
    s.settimeout(10)
    try:
        while True:
            s.recv(2048)
            count += 1
            s.settimeout(2)
    except socket.timeout:
        pass
    print(count)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = os.urandom(1000)
    # One datagram to another port first, so that ARP has resolved before the burst.
    s.sendto(b"x", (sys.argv[2], int(sys.argv[3]) + 1))
    time.sleep(0.5)
    start = time.monotonic()
    sent = 0
    while sent < int(sys.argv[4]):
        try:
            s.sendto(payload, (sys.argv[2], int(sys.argv[3])))
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
    print(time.monotonic() - start)
