#!/usr/bin/python3
"""Sum the results of every suite scripts/test.sh ran into one line.

Reads, from the results folder given as the only argument:
  meson-*.json   meson's testlogs (unit, asan, fuzz): one JSON object per test
  system.xml     pytest's JUnit XML
Prints a per-suite table, the names of failures, and last the line
"N passed, N failed" (skipped tests are reported but not counted as either).
Exits 1 when anything failed or no test ran at all.
"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET


def cmocka_cases(output):
    """Counts cmocka's per-case verdict lines: (passed, failed names)."""
    passed, failed = 0, []
    for line in output.splitlines():
        if line.startswith("[       OK ] "):
            passed += 1
        elif line.startswith(("[  FAILED  ] ", "[  ERROR   ] ")) \
                and "test(s)" not in line:
            failed.append(line[13:].strip())
    return passed, failed


def meson_results(path):
    """One meson test is a cmocka program of many cases, or one check (a
    fuzzer). Cases are counted where cmocka reported them; a program that
    failed without naming a failed case counts as one failure."""
    passed, failed, skipped, failures = 0, 0, 0, []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        t = json.loads(line)
        name = t.get("name", "?")
        result = t.get("result", "FAIL")
        case_pass, case_fail = cmocka_cases(t.get("stdout", "") or "")
        ok = result in ("OK", "EXPECTEDFAIL")
        if result == "SKIP":
            skipped += 1
            continue
        passed += case_pass if case_pass or case_fail else int(ok)
        failed += len(case_fail)
        failures += [f"{name}: {c}" for c in case_fail]
        if not ok and not case_fail:
            failed += 1
            failures.append(f"{name} ({result})")
    return passed, failed, skipped, failures


def junit_results(path):
    passed, failed, skipped, failures = 0, 0, 0, []
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        name = f'{case.get("classname", "")}::{case.get("name", "")}'
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            failures.append(name)
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    # A collection error has no testcase but counts as an error.
    for suite in root.iter("testsuite"):
        extra = int(suite.get("errors", 0)) - sum(
            1 for c in suite.iter("testcase") if c.find("error") is not None)
        if extra > 0:
            failed += extra
            failures.append(f"{suite.get('name', 'pytest')} (collection errors)")
    return passed, failed, skipped, failures


def main():
    results = pathlib.Path(sys.argv[1])
    suites = []
    for p in sorted(results.glob("meson-*.json")):
        suites.append((p.stem.replace("meson-", ""), meson_results(p)))
    if (results / "system.xml").exists():
        suites.append(("system", junit_results(results / "system.xml")))

    total_pass = total_fail = 0
    print(f"{'suite':<12} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for name, (p, f, s, failures) in suites:
        print(f"{name:<12} {p:>7} {f:>7} {s:>8}")
        for failure in failures:
            print(f"    FAILED: {failure}")
        total_pass += p
        total_fail += f
    if not suites or total_pass + total_fail == 0:
        print("no test results found")
        total_fail = max(total_fail, 1)
    print(f"{total_pass} passed, {total_fail} failed")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
