#!/usr/bin/env python3
"""Reads the traffic schemathesis recorded (HAR files) and fails on what counts: any 5xx, and
any GraphQL error with code INTERNAL_SERVER_ERROR. (schemathesis itself counts every GraphQL
error as a failure, NOT_FOUND and CONFLICT included.)

    fuzz_report.py FILE.har [FILE.har ...]
"""
import collections
import json
import sys

bad = 0
for path in sys.argv[1:]:
    entries = json.load(open(path))["log"]["entries"]
    statuses = collections.Counter(e["response"]["status"] for e in entries)
    codes = collections.Counter()
    for e in entries:
        text = e["response"].get("content", {}).get("text") or ""
        if text.startswith("{") and '"errors"' in text:
            try:
                errors = json.loads(text).get("errors")
            except ValueError:
                continue
            # GraphQL's errors are a list; a problem document's `errors` names fields.
            for err in errors if isinstance(errors, list) else []:
                if isinstance(err, dict):
                    codes[(err.get("extensions") or {}).get("code")] += 1
    fives = sum(n for s, n in statuses.items() if s >= 500)
    internal = codes.get("INTERNAL_SERVER_ERROR", 0)
    bad += fives + internal
    print(json.dumps({
        "file": path,
        "requests": len(entries),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "graphql_error_codes": {str(k): v for k, v in codes.most_common()},
        "5xx": fives,
        "internal_errors": internal,
    }))
sys.exit(1 if bad else 0)
