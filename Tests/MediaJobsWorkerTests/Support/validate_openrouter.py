"""Validates the OpenRouter requests a test recorded against OpenRouter's own OpenAPI document.

usage: validate_openrouter.py OPENAPI.yaml REQUESTS.jsonl
Each line of REQUESTS.jsonl is {"path": "/audio/speech", "json": {...}} or {"path": ..., "multipart": {field: value}}.
Prints one line per request; exits 1 if any is invalid.
"""
import json
import sys

import yaml
from jsonschema import Draft202012Validator

SCHEMAS = {"/audio/speech": "SpeechRequest", "/images": "ImageGenerationRequest", "/videos": "VideoGenerationRequest",
           "/chat/completions": "ChatRequest", "/audio/transcriptions": "STTRequest"}


def main():
    with open(sys.argv[1]) as f:
        document = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    uri = "urn:openrouter-openapi"
    try:  # jsonschema >= 4.18 (PyPI)
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
        registry = Registry().with_resource(uri, Resource.from_contents(document, default_specification=DRAFT202012))

        def make(schema):
            return Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's python3-jsonschema 4.10
        from jsonschema import RefResolver

        def make(schema):
            return Draft202012Validator(schema, resolver=RefResolver(uri, document, store={uri: document}))
    multipart = (document["paths"]["/audio/transcriptions"]["post"]["requestBody"]["content"]
                 ["multipart/form-data"]["schema"])
    failures = 0
    count = 0
    with open(sys.argv[2]) as f:
        for line in f:
            record = json.loads(line)
            path = record["path"]
            if "multipart" in record:
                schema = multipart
                instance = record["multipart"]
            else:
                schema = {"$ref": uri + "#/components/schemas/" + SCHEMAS[path]}
                instance = record["json"]
            validator = make(schema)
            errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
            count += 1
            if errors:
                failures += 1
                for error in errors:
                    print("INVALID %s %s: %s" % (path, "/".join(map(str, error.path)), error.message))
            else:
                print("valid %s" % path)
    print("%d requests, %d invalid" % (count, failures))
    sys.exit(1 if failures or count == 0 else 0)


if __name__ == "__main__":
    main()
