#!/usr/bin/env python3
"""TCP relay for the lab VM's network namespace: the guest reaches the services of the test
(moto, `thebacknd serve`, the IMDS stand-in), which listen on the namespace's loopback, at the
link-local addresses a VM dials (port 80 of the instance metadata address for the IMDS
stand-in).

usage: relay.py LISTEN_ADDR:PORT=TARGET_ADDR:PORT...
Prints "relay: ready" once every listener is bound. Each connection is piped both ways, byte for
byte, until either side closes; nothing is read or changed.
"""

import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


def handler(target_host, target_port):
    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(target_host, target_port), timeout=5)
        except (OSError, asyncio.TimeoutError):
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

    return handle


def split(address):
    host, _, port = address.rpartition(":")
    return host, int(port)


async def main(routes):
    servers = []
    for route in routes:
        listen, _, target = route.partition("=")
        listen_host, listen_port = split(listen)
        target_host, target_port = split(target)
        servers.append(await asyncio.start_server(handler(target_host, target_port), listen_host, listen_port))
    print("relay: ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit("usage: relay.py LISTEN_ADDR:PORT=TARGET_ADDR:PORT...")
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
