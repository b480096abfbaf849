import pytest
from tests.attack.conftest import ROLES, routes

def _order(item):
    ep, rule, method = item
    late = any(w in ep for w in ("delete", "withdraw", "remove", "logout", "reject", "undo"))
    return (method == "POST", late, rule.rule)

def test_discover(app, world):
    cs = world.clients()
    reqs = []
    for ep, rule in routes(app):
        for m in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            reqs.append((ep, rule, m))
    reqs.sort(key=_order)
    rows = {}
    for role in ROLES:
        for ep, rule, m in reqs:
            r = cs[role].open(world.url(rule), method=m)
            code = r.status_code
            loc = r.headers.get("Location", "")
            s = str(code) + ("L" if code == 302 and "/auth/login" in loc else "")
            rows.setdefault((m, ep, rule.rule), {})[role] = s
    for k, v in rows.items():
        print(k[0], k[1], k[2], " ".join(f"{v[r]}" for r in ROLES))
