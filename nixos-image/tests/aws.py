#!/usr/bin/env python3
"""The AWS side of the simulated VM, on moto through boto3 (AWS_ENDPOINT_URL must point at it).

  aws.py image-id                      an AMI moto knows, for THEBACKND_IMAGE_ID
  aws.py upload-cache DIR BUCKET       create BUCKET and upload a `nix copy --to file://DIR` cache
  aws.py create-bucket BUCKET          create an empty, private BUCKET (the output bucket)
  aws.py user-data INSTANCE_ID         the user-data `create` launched the instance with
  aws.py instance INSTANCE_ID          {"state", "tags": {…}, "metadata_tags"} of one instance, as JSON
  aws.py tag INSTANCE_ID KEY VALUE     set a tag, as `POST /extend` moves thebacknd:expires-at
  aws.py untag INSTANCE_ID KEY         delete a tag
  aws.py metadata-tags INSTANCE_ID enabled|disabled
                                       allow or refuse the instance's tags in its instance metadata
  aws.py pooled                        the live instances tagged thebacknd:pool, oldest first

On EC2 the VM reads the cache with its instance profile; moto does not model instance
profiles, so upload-cache gives the bucket a policy that lets anyone read its objects, and the
agent substitutes over plain HTTP, path-style (DESIGN §8).
"""

import base64
import json
import os
import sys

import boto3
from botocore.config import Config

CONFIG = Config(
    s3={"addressing_style": "path"},
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)


def client(service):
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint or not endpoint.startswith("http://127.0.0.1:"):
        sys.exit("aws.py: AWS_ENDPOINT_URL must point at a loopback moto, got %r" % endpoint)
    return boto3.client(service, endpoint_url=endpoint, config=CONFIG)


def image_id():
    print(client("ec2").describe_images()["Images"][0]["ImageId"])


def upload_cache(directory, bucket):
    s3 = client("s3")
    s3.create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    count = 0
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            s3.upload_file(path, bucket, os.path.relpath(path, directory))
            count += 1
    print(count)


def create_bucket(bucket):
    client("s3").create_bucket(Bucket=bucket)


def user_data(instance_id):
    answer = client("ec2").describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    sys.stdout.write(base64.b64decode(answer["UserData"]["Value"]).decode())


def instance(instance_id):
    reservations = client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    found = reservations[0]["Instances"][0]
    tags = {t["Key"]: t["Value"] for t in found.get("Tags", [])}
    metadata_tags = found.get("MetadataOptions", {}).get("InstanceMetadataTags")
    print(json.dumps({"state": found["State"]["Name"], "tags": tags, "metadata_tags": metadata_tags}))


def tag(instance_id, key, value):
    client("ec2").create_tags(Resources=[instance_id], Tags=[{"Key": key, "Value": value}])


def untag(instance_id, key):
    client("ec2").delete_tags(Resources=[instance_id], Tags=[{"Key": key}])


def metadata_tags(instance_id, state):
    client("ec2").modify_instance_metadata_options(InstanceId=instance_id, InstanceMetadataTags=state)


def pooled():
    """The live instances tagged thebacknd:pool (pending or running), one id a line, oldest first."""
    pages = client("ec2").get_paginator("describe_instances").paginate(
        Filters=[{"Name": "tag-key", "Values": ["thebacknd:pool"]},
                 {"Name": "tag:thebacknd", "Values": ["true"]},
                 {"Name": "instance-state-name", "Values": ["pending", "running"]}])
    found = [i for page in pages for r in page["Reservations"] for i in r["Instances"]]
    for i in sorted(found, key=lambda i: (i["LaunchTime"], i["InstanceId"])):
        print(i["InstanceId"])


COMMANDS = {
    "image-id": image_id,
    "upload-cache": upload_cache,
    "create-bucket": create_bucket,
    "user-data": user_data,
    "instance": instance,
    "tag": tag,
    "untag": untag,
    "metadata-tags": metadata_tags,
    "pooled": pooled,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    try:
        COMMANDS[sys.argv[1]](*sys.argv[2:])
    except KeyboardInterrupt:
        sys.exit(130)
