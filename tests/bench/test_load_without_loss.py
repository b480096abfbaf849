"""Load without loss, the CI size: 10 logged-in members posting for 10 s (plus 2
readers) against gunicorn and the PostgreSQL in TEST_DATABASE_URL. Every
acknowledged post (302 to the new post or thread) must be stored exactly once
and no response may be a 5xx. The full version is `make load` (50 members, 60 s).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="load-without-loss needs gunicorn + PostgreSQL: set TEST_DATABASE_URL (SQLite runs skip it)",
)


def test_ten_members_posting_for_ten_seconds_lose_nothing(app, tmp_path):
    # The `app` fixture has migrated the test database and seeded the topics; it
    # truncates every table afterwards. The script runs in its own process (it
    # builds its own app and starts gunicorn) and keeps the schema (--no-reset).
    assert shutil.which("gunicorn") or (Path(sys.executable).parent / "gunicorn").exists()
    out = tmp_path / "load.json"
    try:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load_posting.py"), "--database-url", TEST_DATABASE_URL,
             "--clients", "10", "--readers", "2", "--duration", "10", "--seed-threads", "5", "--no-reset",
             "--quiet", "--out", str(out)],
            # ~20 s on a quiet 2-core machine (10 s of load, gunicorn start, 10 argon2 logins);
            # the bound is generous for a busy CI machine.
            cwd=ROOT, capture_output=True, text=True, timeout=90,
        )
    finally:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS circle_bench_marker"))
        engine.dispose()
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    v = result["verification"]
    assert v["acknowledged"] > 0, result
    assert v["missing_count"] == 0, v["missing"]
    assert v["duplicated_count"] == 0, v["duplicated"]
    assert v["wrong_target_count"] == 0, v["wrong_target"]
    assert result["server_error_count"] == 0, result["server_errors"]
    assert proc.returncode == 0, result["failures"]
