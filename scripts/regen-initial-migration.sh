#!/usr/bin/env bash
# Development helper: rebuild migrations/versions/0001_initial.py from the models.
# Only while nothing is deployed; once a release exists, add new revisions instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial.py
DATABASE_URL="sqlite:///$tmp/empty.sqlite" .venv/bin/flask --app board db revision --autogenerate \
  --rev-id 0001_initial -m "initial schema" >/dev/null 2>&1
mv migrations/versions/0001_initial_initial_schema.py migrations/versions/0001_initial.py
rm -rf "$tmp"
echo "migrations/versions/0001_initial.py rebuilt"
