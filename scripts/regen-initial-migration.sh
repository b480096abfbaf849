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
mkdir -p "$out/versions"
# Later revisions point at 0001_initial, which is missing while it is rebuilt:
# park them meanwhile and always put them back.
restore() {
  find "$out/versions" -maxdepth 1 -name '*.py' -exec mv {} migrations/versions/ \;
  rm -rf "$tmp" "$out"
}
trap restore EXIT
find migrations/versions -maxdepth 1 -name '*.py' ! -name '0001_initial.py' -exec mv {} "$out/versions/" \;
rm -f migrations/versions/0001_initial.py
DATABASE_URL="sqlite:///$tmp/empty.sqlite" .venv/bin/flask --app board db revision --autogenerate \
  --rev-id 0001_initial -m "initial schema" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
mv migrations/versions/0001_initial_initial_schema.py migrations/versions/0001_initial.py
echo "migrations/versions/0001_initial.py rebuilt"
