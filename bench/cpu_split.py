"""Where a page view's CPU goes under load: gunicorn's workers, Redis, and the rest of the machine.

    python bench/cpu_split.py [target ...]        # default: thread_member topic_member home_member thread

Starts the ceiling and Circle as `make bench` does (production config, 2 sync workers each),
logs in as the benchmark member, then for the 25-item ceiling and each target runs wrk (16
connections, 8 s after a 2 s warm-up) and reads the CPU time the workers (user and system),
redis-server and the whole machine spent meanwhile (/proc), per request. When the machine is
saturated (it is, with wrk on the same cores), throughput is about cores / machine CPU per
request, so this shows which part of a page view is worth making cheaper — e.g. it showed the
per-request Redis read of the shared parts' generation cost 0.14 ms of machine CPU (issue 21).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, RESULTS_DIR, Browser, Server, database_url, free_port, production_env  # noqa: E402
from bench.run import CEILINGS, build_targets, dataset_facts, ensure_wrk, run_wrk, wait_idle  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> tuple[float, float]:
    """(user, system) seconds of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def machine_cpu() -> float:
    values = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:]))
    return (sum(values) - values[3] - values[4]) / TICK  # everything but idle and iowait


def main(argv: list[str]) -> int:
    url = database_url(os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'bench.sqlite'}")
    facts = dataset_facts(url)
    wrk = ensure_wrk(False)
    found = subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True, text=True).stdout.split()
    redis_pid = int(found[0]) if found else None
    ceiling_port, circle_port = free_port(), free_port()
    ceiling = Server("ceiling", "bench.ceiling_app:app", production_env(url, port=ceiling_port), ceiling_port,
                     RESULTS_DIR / "ceiling-split.log")
    circle = Server("circle", "board:create_app()", production_env(url, port=circle_port), circle_port,
                    RESULTS_DIR / "circle-split.log")
    with ceiling, circle:
        browser = Browser(circle.base)
        browser.login(facts["username"])
        targets = {t.name: t for t in build_targets(circle.base, facts, browser.cookie_header())}
        names = argv or ["thread_member", "topic_member", "home_member", "thread"]
        plan = [("ceiling_25", ceiling.base + CEILINGS[25], {}, ceiling)]
        plan += [(n, targets[n].url, targets[n].headers, circle) for n in names]
        print(f"{'page':<16} {'req/s':>6}  {'workers ms/req':>14} {'(system)':>9} {'redis':>6} {'machine':>8}")
        for name, target_url, headers, server in plan:
            run_wrk(wrk, target_url, connections=16, duration=2, headers=headers)
            wait_idle(server.base)
            pids = server.worker_pids()
            before = [process_cpu(p) for p in pids], process_cpu(redis_pid) if redis_pid else (0, 0), machine_cpu()
            result = run_wrk(wrk, target_url, connections=16, duration=8, headers=headers)
            after = [process_cpu(p) for p in pids], process_cpu(redis_pid) if redis_pid else (0, 0), machine_cpu()
            n = result["rps"] * 8 or 1
            user = sum(a[0] - b[0] for a, b in zip(after[0], before[0]))
            system = sum(a[1] - b[1] for a, b in zip(after[0], before[0]))
            redis = sum(after[1]) - sum(before[1])
            print(f"{name:<16} {result['rps']:>6.0f}  {1e3 * (user + system) / n:>14.3f} {1e3 * system / n:>9.3f} "
                  f"{1e3 * redis / n:>6.3f} {1e3 * (after[2] - before[2]) / n:>8.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
