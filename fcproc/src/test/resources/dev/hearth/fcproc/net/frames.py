"""Sends one raw Ethernet frame from one network namespace and says whether another saw it.

usage: frames.py SNIFF_NETNS SNIFF_IF SEND_NETNS SEND_IF FRAME_HEX MARKER_HEX WAIT_SECONDS
Prints "seen" when a frame containing MARKER arrived on SNIFF_IF within WAIT_SECONDS of the send,
else "unseen". The sniffing socket is opened (in its namespace) before the frame is sent, so there
is no race between the two; both sockets keep the namespace they were made in.
"""
import ctypes
import os
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003


def enter(netns):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/var/run/netns/" + netns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns " + netns + ": " + os.strerror(err))
    finally:
        os.close(fd)


def main():
    sniff_ns, sniff_if, send_ns, send_if, frame_hex, marker_hex, wait = sys.argv[1:8]
    frame = bytes.fromhex(frame_hex)
    marker = bytes.fromhex(marker_hex)
    enter(sniff_ns)
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sniffer.bind((sniff_if, 0))
    enter(send_ns)
    sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sender.bind((send_if, 0))
    sender.send(frame)
    deadline = time.monotonic() + float(wait)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            print("unseen")
            return
        sniffer.settimeout(left)
        try:
            data, address = sniffer.recvfrom(65535)
        except socket.timeout:
            print("unseen")
            return
        # address[2] is the packet type: 4 = PACKET_OUTGOING, a frame this side sent itself.
        if address[2] != 4 and marker in data:
            print("seen")
            return


main()
