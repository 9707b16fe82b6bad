"""Cold start of `list`: a fresh JVM (our CLI, --local) next to a fresh Python process with boto3
(the proof of concept's language) doing the same DescribeInstances, both against moto.

Usage: bench_cold_start.py RUNS LAUNCHER   (AWS_ENDPOINT_URL must point at moto)
"""
import json
import os
import statistics
import subprocess
import sys
import time

import boto3

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
    ec2 = boto3.client("ec2", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    image = ec2.describe_images()["Images"][0]["ImageId"]
    for number in range(1, count + 1):
        ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [
                {"Key": "thebacknd", "Value": "true"},
                {"Key": "Name", "Value": f"thebacknd-{number}"},
                {"Key": "thebacknd:expires-at", "Value": "2099-01-01T00:00:00Z"}]}])
    return image


def timed(command, env, expect_vms):
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr.strip()}")
    listed = len(json.loads(result.stdout)["vms"])
    if listed != expect_vms:
        sys.exit(f"{command[0]} listed {listed} VMs, expected {expect_vms}")
    return elapsed


def main():
    runs, launcher = int(sys.argv[1]), sys.argv[2]
    vms = 20
    image = seed(vms)
    env = dict(os.environ,
               THEBACKND_SECRET="bench-secret-0123456789",
               THEBACKND_IMAGE_ID=image,
               NIX_CACHE="http://127.0.0.1:9/cache",
               NIX_TRUSTED_KEY="bench-1:6oq/L6sCTibuYBgkM6eo5tGN1Aiky+XJXlMaJDeUNhY=")
    commands = {
        "java: thebacknd list --local --json": [launcher, "list", "--local", "--json"],
        "python: boto3 describe_instances": [sys.executable, "-c", BOTO3_LIST],
    }
    medians = {}
    for label, command in commands.items():
        timed(command, env, vms)  # warm the OS page cache; not counted
        samples = [timed(command, env, vms) for _ in range(runs)]
        medians[label] = statistics.median(samples)
        print(f"  {label:40s} median {medians[label] * 1000:6.0f} ms   "
              f"min {min(samples) * 1000:6.0f} ms   max {max(samples) * 1000:6.0f} ms   ({runs} runs, {vms} VMs)")
    java, python = medians.values()
    print(f"  ratio java/python: {java / python:.2f}")


if __name__ == "__main__":
    main()
