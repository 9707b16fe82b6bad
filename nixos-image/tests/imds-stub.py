#!/usr/bin/env python3
"""A loopback stand-in for the EC2 instance metadata service, IMDSv2 only.

The VM agent runs unchanged against it through THEBACKND_IMDS_URL. It behaves like EC2 with
HttpTokens=required (as `create` launches VMs):

  PUT /latest/api/token            needs X-aws-ec2-metadata-token-ttl-seconds (1-21600) and
                                   answers a fresh token; 400 without it, 403 when proxied
                                   (X-Forwarded-For), as EC2 does
  GET /latest/user-data            the file ROOT/user-data
  GET /latest/meta-data/PATH       the file ROOT/meta-data/PATH (a directory lists its entries)

Every GET needs a valid, unexpired X-aws-ec2-metadata-token header: 401 and an empty body
otherwise. Files are read on each request, so a test swaps the VM it plays by rewriting them.

usage: imds-stub.py --root DIR [--port N]
Prints "imds-stub: serving on http://127.0.0.1:PORT" once listening; binds loopback only.
"""

import argparse
import http.server
import os
import secrets
import sys
import threading
import time

MAX_TTL = 21600


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "imds-stub"
    tokens = {}
    lock = threading.Lock()
    root = "."

    def log_message(self, fmt, *args):
        sys.stderr.write("imds-stub: " + (fmt % args) + "\n")

    def answer(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.answer(404)
        if self.headers.get("X-Forwarded-For"):
            return self.answer(403)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
            return self.answer(400)
        token = secrets.token_urlsafe(32)
        with self.lock:
            now = time.monotonic()
            for old in [t for t, expiry in self.tokens.items() if expiry <= now]:
                del self.tokens[old]
            self.tokens[token] = now + int(ttl)
        self.answer(200, token.encode())

    def token_valid(self):
        token = self.headers.get("X-aws-ec2-metadata-token")
        with self.lock:
            expiry = self.tokens.get(token) if token else None
        return expiry is not None and expiry > time.monotonic()

    def do_GET(self):
        if not self.token_valid():
            return self.answer(401)
        if self.path == "/latest/user-data":
            relative = "user-data"
        elif self.path.startswith("/latest/meta-data/"):
            relative = "meta-data/" + self.path[len("/latest/meta-data/"):]
        else:
            return self.answer(404)
        parts = [p for p in relative.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return self.answer(404)
        target = os.path.join(self.root, *parts)
        if os.path.isdir(target):
            entries = sorted(e + ("/" if os.path.isdir(os.path.join(target, e)) else "") for e in os.listdir(target))
            return self.answer(200, "\n".join(entries).encode())
        try:
            with open(target, "rb") as f:
                body = f.read()
        except OSError:
            return self.answer(404)
        self.answer(200, body)

    def do_POST(self):
        self.answer(405)

    do_DELETE = do_POST
    do_PATCH = do_POST


def main():
    parser = argparse.ArgumentParser(description="Loopback IMDSv2 stub for thebacknd-agent tests.")
    parser.add_argument("--root", required=True, help="directory holding user-data and meta-data/")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args()
    Handler.root = os.path.abspath(args.root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"imds-stub: serving on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
