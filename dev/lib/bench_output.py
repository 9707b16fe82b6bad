"""Reads `thebacknd run PROGRAM --wait`'s stdout as it arrives and measures it (dev/bench-output).

  bench_output.py latency   lines "tick NANOSECONDS" (stamped by the program on the VM when it
                            printed them): the delay to their arrival here, p50 and p95
  bench_output.py throughput
                            a line "start NANOSECONDS", then bytes until the end: how fast they
                            came, from the program's start to the last byte here

Both clocks are this machine's (the simulated VM runs here too).
"""
import statistics
import sys
import time


def latency():
    delays = []
    for line in sys.stdin.buffer:
        now = time.time_ns()
        parts = line.split()
        if len(parts) == 2 and parts[0] == b"tick":
            delays.append((now - int(parts[1])) / 1e6)
    if not delays:
        sys.exit("no tick lines arrived")
    delays.sort()
    p95 = delays[min(len(delays) - 1, int(round(0.95 * (len(delays) - 1))))]
    print(f"  line latency, VM print -> caller's stdout: p50 {statistics.median(delays):.0f} ms, "
          f"p95 {p95:.0f} ms, max {delays[-1]:.0f} ms ({len(delays)} lines)")


def throughput():
    first = sys.stdin.buffer.readline().split()
    if len(first) != 2 or first[0] != b"start":
        sys.exit("no start line arrived")
    started = int(first[1])
    total = 0
    while chunk := sys.stdin.buffer.read(65536):
        total += len(chunk)
    seconds = (time.time_ns() - started) / 1e9
    print(f"  throughput: {total:,} bytes in {seconds:.1f} s = {total / seconds / 1e6:.2f} MB/s "
          f"(from the program's start to the last byte on the caller's stdout)")


if __name__ == "__main__":
    {"latency": latency, "throughput": throughput}[sys.argv[1]]()
