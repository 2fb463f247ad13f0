"""Checks jobs as a running `mediajobs serve` answers them against the Job schema of the /openapi.json it serves.

Usage: job_schema_check.py BASE_URL JOB_ID...
"""
import json
import sys
import urllib.request

import jsonschema_rs  # installed with schemathesis


def get(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.load(answer)


def main() -> int:
    base, ids = sys.argv[1], sys.argv[2:]
    document = get(f"{base}/openapi.json")
    schema = {"$ref": "#/components/schemas/Job", "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    problems = []
    for job_id in ids:
        job = get(f"{base}/v1/jobs/{job_id}")
        problems += [f"{job_id}: {'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(job)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"{len(ids)} job(s) match the Job schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
