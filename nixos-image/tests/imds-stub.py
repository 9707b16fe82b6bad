#!/usr/bin/env python3
"""A loopback stand-in for the EC2 instance metadata service, IMDSv2 only.

The VM agent runs unchanged against it through THEBACKND_IMDS_URL. It behaves like EC2 with
HttpTokens=required (as `create` launches VMs):

  PUT /latest/api/token            needs X-aws-ec2-metadata-token-ttl-seconds (1-21600) and
                                   answers a fresh token; 400 without it, 403 when proxied
                                   (X-Forwarded-For), as EC2 does
  GET /latest/user-data            the file ROOT/user-data
  GET /latest/meta-data/PATH       the file ROOT/meta-data/PATH (a directory lists its entries)
  GET /latest/meta-data/tags/instance[/KEY]
                                   with --ec2-endpoint: the tags EC2 (moto) holds for the
                                   instance named in ROOT/meta-data/instance-id, read at each
                                   request, and 404 unless that instance was launched with
                                   instance metadata tags enabled, as on EC2; without it, files

Every GET needs a valid, unexpired X-aws-ec2-metadata-token header: 401 and an empty body
otherwise. Files are read on each request, so a test swaps the VM it plays by rewriting them.
A test can make a document fail: when ROOT/status/DOC exists (DOC as under ROOT: user-data,
meta-data/...), the stub answers the HTTP status that file holds instead.

usage: imds-stub.py --root DIR [--port N] [--ec2-endpoint URL]
Prints "imds-stub: serving on http://127.0.0.1:PORT" once listening; binds loopback only.
With --ec2-endpoint it needs boto3, AWS credentials and a region in its environment.
"""

import argparse
import http.server
import os
import secrets
import sys
import threading
import time
import urllib.parse

MAX_TTL = 21600


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "imds-stub"
    tokens = {}
    lock = threading.Lock()
    root = "."
    ec2 = None

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
        path = urllib.parse.unquote(self.path)
        if path == "/latest/user-data":
            relative = "user-data"
        elif path.startswith("/latest/meta-data/"):
            relative = "meta-data/" + path[len("/latest/meta-data/"):]
        else:
            return self.answer(404)
        parts = [p for p in relative.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return self.answer(404)
        forced = self.forced_status(parts)
        if forced:
            return self.answer(forced)
        if self.ec2 is not None and parts[:3] == ["meta-data", "tags", "instance"] and len(parts) <= 4:
            return self.answer_tag(parts[3] if len(parts) == 4 else None)
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

    def forced_status(self, parts):
        try:
            with open(os.path.join(self.root, "status", *parts)) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def answer_tag(self, key):
        """The instance's tags as EC2 serves them: keys one per line, or one key's value."""
        try:
            with open(os.path.join(self.root, "meta-data", "instance-id")) as f:
                instance_id = f.read().strip()
            found = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        except Exception as e:  # moto unreachable or no such instance: the service fails
            self.log_message("reading tags from EC2 failed: %s", e)
            return self.answer(500)
        if found.get("MetadataOptions", {}).get("InstanceMetadataTags") != "enabled":
            return self.answer(404)
        tags = {t["Key"]: t["Value"] for t in found.get("Tags", [])}
        if key is None:
            return self.answer(200, "\n".join(sorted(tags)).encode())
        if key not in tags:
            return self.answer(404)
        self.answer(200, tags[key].encode())

    def do_POST(self):
        self.answer(405)

    do_DELETE = do_POST
    do_PATCH = do_POST


def main():
    parser = argparse.ArgumentParser(description="Loopback IMDSv2 stub for thebacknd-agent tests.")
    parser.add_argument("--root", required=True, help="directory holding user-data and meta-data/")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--ec2-endpoint", help="EC2 endpoint (a loopback moto) to read instance tags from")
    args = parser.parse_args()
    Handler.root = os.path.abspath(args.root)
    if args.ec2_endpoint:
        import boto3  # only here: the stub runs without boto3 otherwise (qemu.nix try-outs)

        Handler.ec2 = boto3.client("ec2", endpoint_url=args.ec2_endpoint)
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
