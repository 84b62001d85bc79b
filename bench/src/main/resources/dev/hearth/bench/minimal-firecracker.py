#!/usr/bin/env python3
# A minimal stand-in for firecracker, for benchmarks only: it serves --api-sock, answers every
# request 204 (GET with an empty JSON object) without validating anything, and exits on
# SendCtrlAltDel or a signal. It starts in milliseconds, so what a benchmark measures is hearth's
# own work. Tests use the spec-driven fake in fcproc's test-jar instead.
#
# With HEARTH_BENCH_GUEST_SSHD set to an sshd_config (root only), InstanceStart also plays the
# guest's SSH server, so that a real daemon's wait-ssh stage passes: the boot args' ip= address
# goes on the VM's TAP as a local /32 (reachable from the host through the local table) and
# OpenSSH's sshd listens on it, killed with this process (parent-death signal), with the host key
# that the daemon's identity stage wrote into the root drive (the daemon pins it).
import json, os, signal, socket, subprocess, sys

args = sys.argv[1:]
if "--version" in args:
    print("Firecracker v1.16.1")
    sys.exit(0)
sock_path = args[args.index("--api-sock") + 1]
sshd_config = os.environ.get("HEARTH_BENCH_GUEST_SSHD", "")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sock_path)
server.listen(16)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("minimal firecracker up", flush=True)
guest = {}

def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        body += conn.recv(65536)
    return head.split(b" ")[0], body

def remember(body):
    try:
        fields = json.loads(body)
    except ValueError:
        return
    if not isinstance(fields, dict):
        return
    for word in str(fields.get("boot_args", "")).split():
        if word.startswith("ip="):
            guest["ip"] = word[3:].split(":")[0]
    if "host_dev_name" in fields:
        guest["tap"] = fields["host_dev_name"]
    if fields.get("is_root_device") and "path_on_host" in fields:
        guest["rootfs"] = fields["path_on_host"]

def start_guest_sshd():
    subprocess.run(["ip", "addr", "replace", guest["ip"] + "/32", "dev", guest["tap"]], check=True)
    host_key = sock_path + ".host_key"
    if os.path.exists(host_key):
        os.unlink(host_key)
    subprocess.run(["debugfs", "-R", "dump -p /etc/ssh/ssh_host_ed25519_key " + host_key,
                    guest["rootfs"]], check=True, capture_output=True)
    os.chmod(host_key, 0o600)
    subprocess.Popen(
        ["setpriv", "--pdeathsig", "KILL", "--", "/usr/sbin/sshd", "-D", "-e",
         "-f", sshd_config, "-h", host_key, "-o", "ListenAddress=" + guest["ip"]],
        stdin=subprocess.DEVNULL)

while True:
    conn, _ = server.accept()
    with conn:
        request = read_request(conn)
        if request is None:
            continue
        method, body = request
        if method == b"PUT":
            remember(body)
        if sshd_config and b"InstanceStart" in body:
            start_guest_sshd()
        if method == b"GET":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        else:
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        if b"SendCtrlAltDel" in body:
            os.unlink(sock_path)
            sys.exit(0)
