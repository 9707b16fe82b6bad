#!/usr/bin/env python3
"""A loopback HTTP proxy in front of `thebacknd serve` that plays a bad minute of the API.

The agent is pointed at it (its user-data's api_url). Every request is passed on to UPSTREAM and
its answer back, except that while the file FLAKY exists, a POST it names is answered 503
without reaching the API: a line "PATH" names every POST to PATH (/output), a line "PATH PHASE"
only those whose JSON body has that "phase" (/report running). Each request is logged
on stderr: "flaky-proxy: METHOD PATH -> STATUS" ("503 (flaky)" for one it refused).

usage: flaky-proxy.py --upstream URL --flaky FILE
Prints "flaky-proxy: serving on http://127.0.0.1:PORT" once listening; binds loopback only.
"""

import argparse
import http.server
import json
import sys
import urllib.error
import urllib.request


class Handler(http.server.BaseHTTPRequestHandler):
    upstream = ""
    flaky = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def refused(self, path, body):
        try:
            with open(self.flaky) as f:
                rules = [line.split() for line in f if line.strip()]
        except FileNotFoundError:
            return False
        try:
            phase = json.loads(body or b"{}").get("phase")
        except (ValueError, AttributeError):
            phase = None
        return any(rule[0] == path and (len(rule) == 1 or rule[1] == phase) for rule in rules)

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def relay(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path = self.path.split("?", 1)[0]
        if method == "POST" and self.refused(path, body):
            sys.stderr.write(f"flaky-proxy: {method} {path} -> 503 (flaky)\n")
            return self.answer(503, b'{"error": {"code": "unavailable", "message": "a bad minute"}}')
        request = urllib.request.Request(self.upstream + self.path, data=body, method=method)
        if self.headers.get("Content-Type"):
            request.add_header("Content-Type", self.headers["Content-Type"])
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answer = response.status, response.read()
                content_type = response.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read()
            content_type = error.headers.get("Content-Type", "application/json")
        except OSError as error:
            status, answer, content_type = 502, str(error).encode(), "text/plain"
        sys.stderr.write(f"flaky-proxy: {method} {path} -> {status}\n")
        self.answer(status, answer, content_type)

    def do_GET(self):
        self.relay("GET")

    def do_POST(self):
        self.relay("POST")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--flaky", required=True)
    args = parser.parse_args()
    Handler.upstream = args.upstream.rstrip("/")
    Handler.flaky = args.flaky
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"flaky-proxy: serving on http://127.0.0.1:{server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
