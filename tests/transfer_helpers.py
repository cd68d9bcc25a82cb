"""Helpers shared by the transfer tests: interval grids at a known time, YAML documents,
and kubernetes-validate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

#: Kubernetes versions the manifests are validated against (strictly).
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")


def set_grid(db_path: Path, name: str, anchor: str) -> None:
    """Put an interval job's grid at ``anchor`` (a UTC time), as if it had been added then."""
    from schedcli.schedule import parse_duration
    from schedcli.store import Store

    with Store(db_path) as store:
        job = store.get_job(name)
        start = int(datetime.fromisoformat(anchor.replace("Z", "+00:00")).timestamp())
        period = parse_duration(job.expr)
        now = int(time.time())
        store.update_job(job.id, {"anchor": start, "next_run_at": start + period * ((now - start) // period + 1)})


def yaml_docs(text: str) -> list:
    import yaml

    return [d for d in yaml.safe_load_all(text) if d is not None]


def k8s_validate(path: Path) -> None:
    """kubernetes-validate --strict against each version (offline: the package ships its schemas)."""
    tool = shutil.which("kubernetes-validate", path=os.path.dirname(sys.executable)) or shutil.which("kubernetes-validate")
    assert tool, "kubernetes-validate is a test dependency (pip install '.[test]')"
    for version in KUBERNETES_VERSIONS:
        p = subprocess.run([tool, "--strict", "-k", version, str(path)], capture_output=True, text=True, timeout=120)
        output = p.stdout + p.stderr
        assert p.returncode == 0, output
        assert "did not validate" not in output and "passed" in output, output
