"""Summarise the last `mutmut run` (the files under mutants/) as the tables of tests/MUTATION.md.

    python tools/mutation_report.py                  # kill rate per module (Markdown table)
    python tools/mutation_report.py --survivors      # and every surviving mutant with its diff
    python tools/mutation_report.py --min-rate 90    # exit 1 if a module's kill rate is below 90%

Run it from the repository root after `mutmut run` (`make mutate` does both). The kill rate is
(killed + timeout) / (mutants - skipped - not checked), as mutmut's own badge counts it; a
mutant that no test reaches ("no tests") counts as not killed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"

# mutmut 3's exit codes (mutmut/stats.py)
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "killed",
    None: "not checked",
}


def module_results() -> dict[str, dict[str, str]]:
    """``{module: {mutant name: status}}`` from mutants/**/*.py.meta."""
    results = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = str(meta.relative_to(MUTANTS)).removesuffix(".py.meta").replace("/", ".")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        results[module] = {name: STATUS.get(code, "suspicious") for name, code in codes.items()}
    return results


def rate(counts: Counter) -> float:
    tested = sum(counts.values()) - counts["skipped"] - counts["not checked"]
    return 100.0 * (counts["killed"] + counts["timeout"]) / tested if tested else float("nan")


def _percent(value: float) -> str:
    return "not run" if value != value else f"{value:.1f}%"


def table(results: dict[str, dict[str, str]]) -> str:
    lines = [
        "| module | mutants | killed | timeout | survived | no tests | not checked | kill rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for module, statuses in results.items():
        c = Counter(statuses.values())
        lines.append(
            f"| `{module}` | {len(statuses)} | {c['killed']} | {c['timeout']} | {c['survived']} "
            f"| {c['no tests']} | {c['not checked']} | {_percent(rate(c))} |"
        )
    return "\n".join(lines)


def diff(name: str) -> str:
    """The changed lines of one mutant, from `mutmut show`."""
    out = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "show", name], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return "\n".join(line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--survivors", action="store_true", help="list every surviving mutant with its diff")
    parser.add_argument("--min-rate", type=float, default=None, help="exit 1 if a module is below this kill rate (%%)")
    args = parser.parse_args()
    results = module_results()
    if not results:
        print("no results under mutants/: run `mutmut run` first", file=sys.stderr)
        return 1
    print(table(results))
    if args.survivors:
        for statuses in results.values():
            for name, status in statuses.items():
                if status in ("survived", "no tests"):
                    print(f"\n{name} ({status})\n```diff\n{diff(name)}\n```")
    if args.min_rate is not None:
        low = [m for m, s in results.items() if not rate(Counter(s.values())) >= args.min_rate]
        if low:
            print(f"\nbelow {args.min_rate}%: {', '.join(low)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
