"""Cold start of `list`: a fresh `thebacknd list --json` going through the API (a `thebacknd serve`
on loopback, in front of moto) next to a fresh Python process listing the same VMs directly with
boto3 (the proof of concept's language), alternated in one run; medians. For each JDK found (the
default one, and a JDK 25+ under /usr/lib/jvm, which the launcher gives an AOT cache), and once
with --local (the CLI calling EC2 itself). Then the jar's size.

Usage: bench_cold_start.py RUNS LAUNCHER JAR   (AWS_ENDPOINT_URL must point at moto)
"""
import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import boto3

VMS = 20

BOTO3_LIST = """
import json, os, boto3
ec2 = boto3.client("ec2", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
vms = []
for page in ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "tag:thebacknd", "Values": ["true"]},
                 {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]):
    for reservation in page["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            vms.append({"name": tags.get("Name"), "instance_id": instance["InstanceId"]})
print(json.dumps({"vms": vms}))
"""


def seed(count):
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    ec2 = boto3.client("ec2", endpoint_url=endpoint)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for number in range(1, count + 1):
        ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [
                {"Key": "thebacknd", "Value": "true"},
                {"Key": "Name", "Value": f"thebacknd-{number}"},
                {"Key": "thebacknd:expires-at", "Value": "2099-01-01T00:00:00Z"}]}])
    boto3.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName="thebacknd-bench-leases", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}])
    return image


def java_version(java_home):
    """The feature version in JAVA_HOME/release (17, 25…), or None."""
    try:
        with open(os.path.join(java_home, "release"), encoding="utf-8") as release:
            for line in release:
                if line.startswith("JAVA_VERSION="):
                    return int(line.split("=", 1)[1].strip().strip('"').split(".")[0])
    except (OSError, ValueError):
        return None
    return None


def jdks():
    """{feature version: JAVA_HOME}: the default JDK, and the newest JDK 25+ in /usr/lib/jvm."""
    found = {}
    default = os.environ.get("JAVA_HOME") or os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java"))))
    if java_version(default):
        found[java_version(default)] = default
    for home in sorted(glob.glob("/usr/lib/jvm/*")):
        version = java_version(home)
        if version and version >= 25 and os.path.isfile(os.path.join(home, "bin", "java")):
            found.setdefault(version, home)
    return dict(sorted(found.items()))


def timed(command, env, expect_vms):
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    try:
        listed = len(json.loads(result.stdout)["vms"])
    except ValueError:
        sys.exit(f"{' '.join(command)} printed no JSON list: {result.stdout[:2000]!r}")
    if listed != expect_vms:
        sys.exit(f"{' '.join(command)} listed {listed} VMs, expected {expect_vms}")
    return elapsed


def serve(launcher, env):
    """`thebacknd serve --port 0` in the background; its process and URL."""
    errors = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([launcher, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE,
                               stderr=errors, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("thebacknd: serving on "):
        process.kill()
        process.wait()
        errors.seek(0)
        sys.exit(f"thebacknd serve failed: {line} {errors.read().strip()}")
    return process, line.rsplit(" ", 1)[1]


def wait_for_archives(jar, version, seconds=60):
    """The launcher assembles a JDK 25+ AOT cache in the background after its first command."""
    deadline = time.monotonic() + seconds
    pattern = f"{jar[:-len('.jar')]}.*.java{version}*.aot"
    while time.monotonic() < deadline and not glob.glob(pattern):
        time.sleep(0.2)


def main():
    runs, launcher, jar = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    image = seed(VMS)
    env = dict(os.environ,
               THEBACKND_SECRET="bench-secret-0123456789",
               THEBACKND_IMAGE_ID=image,
               THEBACKND_LEASES_TABLE="thebacknd-bench-leases",
               THEBACKND_API_URL="http://127.0.0.1:9",
               NIX_CACHE="http://127.0.0.1:9/cache",
               NIX_TRUSTED_KEY="bench-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=")
    server, url = serve(launcher, env)
    try:
        commands = {}
        for version, home in jdks().items():
            commands[f"java {version}: thebacknd list --json, through the API"] = (
                [launcher, "list", "--json"], dict(env, JAVA_HOME=home, THEBACKND_API_URL=url))
        commands["python: boto3 describe_instances, direct"] = ([sys.executable, "-c", BOTO3_LIST], env)
        default = next(iter(jdks().items()))
        commands[f"java {default[0]}: thebacknd list --local --json"] = (
            [launcher, "list", "--local", "--json"], dict(env, JAVA_HOME=default[1]))
        for label, (command, command_env) in commands.items():
            timed(command, command_env, VMS)  # trains the launcher's archive, warms the page cache
            if label.startswith("java ") and int(label.split()[1].rstrip(":")) >= 25:
                wait_for_archives(jar, label.split()[1].rstrip(":"))
            timed(command, command_env, VMS)
        samples = {label: [] for label in commands}
        for _ in range(runs):  # alternated, so that the machine's load falls on every command alike
            for label, (command, command_env) in commands.items():
                samples[label].append(timed(command, command_env, VMS))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    medians = {label: statistics.median(times) for label, times in samples.items()}
    for label, times in samples.items():
        print(f"  {label:52s} median {medians[label] * 1000:5.0f} ms   "
              f"min {min(times) * 1000:5.0f}   max {max(times) * 1000:5.0f}   ({runs} runs, {VMS} VMs)")
    python = medians["python: boto3 describe_instances, direct"]
    for label, median in medians.items():
        if label.endswith("through the API"):
            print(f"  ratio {label.split(':')[0]} (through the API) / python: {median / python:.2f}")
    print(f"  jar: {os.path.relpath(jar)} {os.path.getsize(jar) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
