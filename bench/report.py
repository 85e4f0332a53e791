"""Where benchmark tables go (no Home Assistant test harness needed: real-process benches use it)."""

from __future__ import annotations

from pathlib import Path
import statistics

ROOT = Path(__file__).parent.parent
RESULTS = ROOT / "bench" / "results"


def median_ms(samples: list[float]) -> float:
    """Median of seconds, in milliseconds."""
    return statistics.median(samples) * 1000


def percentile_ms(samples: list[float], pct: float) -> float:
    """A percentile of seconds, in milliseconds."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index] * 1000


def write(name: str, table: str) -> None:
    """Print a Markdown table and keep it in bench/results/."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(table + "\n", encoding="utf-8")
    print(table)
