#!/usr/bin/env python3
"""Reads a test log on stdin and prints the tests that started but never finished.

Understands swift-testing's lines (`◇ Test "name" started.` / `✔`/`✘ Test "name" ...`) and
pytest's verbose lines (`path::test PASSED`); used by scripts/test.sh when a stage times out.
"""
import re
import sys

SWIFT_START = re.compile(r'◇ Test "(.+?)" started\.')
SWIFT_END = re.compile(r'[✔✘] Test "(.+?)" ')
PYTEST_START = re.compile(r"^(\S+::\S+) ")
PYTEST_END = re.compile(r"^(\S+::\S+) .*(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)")


def main() -> int:
    running: dict[str, None] = {}
    for line in sys.stdin:
        if match := SWIFT_START.search(line):
            running[match.group(1)] = None
        elif match := SWIFT_END.search(line):
            running.pop(match.group(1), None)
        elif match := PYTEST_END.search(line):
            running.pop(match.group(1), None)
        elif match := PYTEST_START.search(line):
            running[match.group(1)] = None
    for name in running:
        print(f"  {name}")
    if not running:
        print("  (no test was in flight: the hang is in set-up, teardown or process exit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
