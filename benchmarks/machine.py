"""The machine a benchmark ran on, as one line for its results file.

Examples
--------
>>> "CPUs" in describe(["polars"]) and "polars " in describe(["polars"])
True
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe(packages: list[str]) -> str:
    """CPU model and count, RAM, load average, OS, Python and the given packages' versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    versions = [f"Python {platform.python_version()}"]
    for name in packages:
        try:
            module = __import__(name.replace("-", "_"))
            versions.append(f"{name} {module.__version__}")
        except ImportError:
            versions.append(f"{name} not installed")
    return f"{cpu}, {os.cpu_count()} CPUs{mem}{load}; {platform.system()} {platform.release()}; {', '.join(versions)}"
