"""A 4000x3000 picture dreams with tiles in bounded memory (measured in a fresh process)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PEAK_RSS_LIMIT_GB = 4.0  # the target of the speed-and-robustness issue


@pytest.mark.slow
def test_tiled_dream_of_a_4000x3000_image_stays_within_the_memory_target():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_dream.py"),
                             "--child-memory", "4000x3000"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    peak = json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_gb"]
    assert 0.1 < peak <= PEAK_RSS_LIMIT_GB
