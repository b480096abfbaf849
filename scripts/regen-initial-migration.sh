#!/usr/bin/env bash
# Development helper: rebuild migrations/versions/0001_initial.py from the models.
# Only while nothing is deployed; once a release exists, add new revisions instead.
# Later hand-written revisions (0002_…) keep pointing at 0001_initial.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/circle-regen-migration.lock
flock 9
tmp=$(mktemp -d)
out=$(mktemp -d)
rm -f migrations/versions/0001_initial.py
mkdir -p "$out/versions"
DATABASE_URL="sqlite:///$tmp/empty.sqlite" .venv/bin/flask --app board db revision --autogenerate \
  --rev-id 0001_initial -m "initial schema" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
mv migrations/versions/0001_initial_initial_schema.py migrations/versions/0001_initial.py
rm -rf "$tmp" "$out"
echo "migrations/versions/0001_initial.py rebuilt"
