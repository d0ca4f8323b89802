#!/usr/bin/python3
# validate_json_schema.py SCHEMA FILE...: checks JSON files against a JSON Schema (draft 2020-12).
#
# The planning tests run it on every plan they write, against planning/schema/plan.schema.json, so
# that a change to the plan writer (planToJson) that the schema does not describe fails a test
# instead of reaching a reader. It checks the schema itself first (exit 2 if the schema is wrong),
# then prints one line per error, "FILE: $.json.path: message", and "N valid" (and "M invalid") at
# the end; exit 1 if any file fails, 0 otherwise. NaN and Infinity (not JSON) are refused, and
# "integer" means an integer token, as dbsplan's reader has it (181.0 is a number, not an integer).
#
# Needs python3-jsonschema (Debian 12: 4.10); run with the system /usr/bin/python3.
import json
import re
import sys

import jsonschema


def json_path(path):
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += "." + part
        else:
            out += "[" + json.dumps(part) + "]"
    return out


def integer_token(checker, value):
    return isinstance(value, int) and not isinstance(value, bool)


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON (numbers must be finite)")


def main(argv):
    if len(argv) < 3:
        print("usage: validate_json_schema.py SCHEMA FILE...", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"{argv[1]}: {json_path(e.absolute_path)}: invalid schema: {e.message}")
        return 2
    types = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", integer_token)
    validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=types)(schema)
    valid = invalid = 0
    for name in argv[2:]:
        try:
            with open(name, encoding="utf-8") as f:
                document = json.load(f, parse_constant=refuse_constant)
        except (OSError, ValueError) as e:
            print(f"{name}: $: cannot be read as JSON: {e}")
            invalid += 1
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        for e in errors:
            message = e.message if len(e.message) <= 300 else e.message[:297] + "..."
            if e.validator is None:  # a `false` schema: a key that must not be there in this case
                message = "must be absent here (" + message + ")"
            print(f"{name}: {json_path(e.absolute_path)}: {message}")
        if errors:
            invalid += 1
        else:
            valid += 1
    print(f"{valid} valid" + (f", {invalid} invalid" if invalid else ""))
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
