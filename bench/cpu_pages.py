"""CPU time per page, in process: a noise-resistant companion to `make bench`.

    python bench/cpu_pages.py [--n 200] [--profile thread]

Builds Circle in production config against the benchmark database and the
ceiling app, calls each page through Flask's test client N times (in 5 batches,
keeping the best batch) and reports the CPU time this process spent per request (time.process_time, so other
programs on a busy machine barely move it) and the ratio to the ceiling page of
the same number of items (25, or 50 for the *_50 pages). With
2 sync workers on 2 cores, throughput is about 2 / CPU-time-per-request, so
these ratios predict the wrk ratios without HTTP or queueing. --profile NAME
prints a pyinstrument profile of that page (pip install pyinstrument).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, SECRET_KEY, Browser, database_url  # noqa: E402,F401


def production_app(url: str):
    os.environ.update({"BOARD_ENV": "production", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
                       "WEB_CONCURRENCY": "1", "FLASK_RATELIMIT_ENABLED": "false"})
    from board import create_app

    # config.py reads the environment at import time: pass the settings explicitly too.
    return create_app({"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": "memory://"})


def login_client(app, username: str, password: str):
    import re

    client = app.test_client()
    page = client.get("/auth/login", base_url="https://localhost").data
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    r = client.post("/auth/login", data={"csrf_token": token, "username": username, "password": password},
                    base_url="https://localhost", headers={"Referer": "https://localhost/auth/login"})
    assert r.status_code == 302, r.status_code
    return client


def measure(client, path: str, n: int, base_url: str = "http://localhost", rounds: int = 5) -> tuple[float, float, int]:
    """CPU and wall ms per request: the best of `rounds` batches of n/rounds (the least disturbed by
    other programs on a busy machine)."""
    r = client.get(path, base_url=base_url)
    status = r.status_code
    for _ in range(min(20, n)):
        client.get(path, base_url=base_url)
    batch = max(1, n // rounds)
    best_cpu = best_wall = float("inf")
    for _ in range(rounds):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(batch):
            client.get(path, base_url=base_url)
        best_cpu = min(best_cpu, (time.process_time() - cpu0) / batch * 1000)
        best_wall = min(best_wall, (time.perf_counter() - wall0) / batch * 1000)
    return best_cpu, best_wall, status


def main(argv=None) -> int:
    from bench.common import BENCH_PASSWORD
    from bench.run import dataset_facts

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", default="", help="page name to profile with pyinstrument")
    args = parser.parse_args(argv)
    n = max(1, min(args.n, 5000))
    url = database_url(args.database_url or f"sqlite:///{DATA_DIR / 'bench.sqlite'}")
    facts = dataset_facts(url)

    from bench.ceiling_app import create_app as ceiling_app

    app = production_app(url)
    anon = app.test_client()
    member = login_client(app, facts["username"], BENCH_PASSWORD)
    pages = {
        "thread": (anon, f"/threads/{facts['thread_id']}"),
        "thread_50": (anon, f"/threads/{facts['thread_id']}?per_page=50"),
        "thread_member": (member, f"/threads/{facts['thread_id']}"),
        "thread_member_50": (member, f"/threads/{facts['thread_id']}?per_page=50"),
        "topic": (anon, f"/topics/{facts['topic_slug']}"),
        "topic_member": (member, f"/topics/{facts['topic_slug']}"),
        "home": (anon, "/"),
        "home_member": (member, "/"),
        "stories": (anon, "/stories"),
        "story": (anon, f"/stories/{facts['story_id']}"),
        "search": (anon, "/search?q=denosumab"),
    }
    if args.profile:
        try:
            from pyinstrument import Profiler
        except ImportError:
            print("--profile needs pyinstrument: .venv/bin/pip install pyinstrument", file=sys.stderr)
            return 2

        client, path = pages[args.profile]
        for _ in range(20):
            client.get(path, base_url="https://localhost")
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(n):
            client.get(path, base_url="https://localhost")
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("PROFILE_ALL"))))
        return 0
    # Each page is compared with the ceiling page of the same number of items (25, or 50 for *_50)
    ceiling_client = ceiling_app().test_client()
    ceilings = {items: measure(ceiling_client, f"/items/{items}", n)[0] for items in (25, 50)}
    print(f"{'page':<17} {'status':>6} {'CPU ms/req':>11} {'wall ms/req':>12} {'ceiling/page':>13}")
    for items, cpu in ceilings.items():
        print(f"{f'ceiling_{items}':<17} {200:>6} {cpu:>11.2f} {'':>12} {1:>12.2f}×")
    for name, (client, path) in pages.items():
        cpu, wall, status = measure(client, path, n, base_url="https://localhost")
        if status != 200:
            print(f"{name:<17} {status:>6}  not available")
            continue
        ceil_cpu = ceilings[50 if name.endswith("_50") else 25]
        print(f"{name:<17} {status:>6} {cpu:>11.2f} {wall:>12.2f} {ceil_cpu / cpu:>12.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
