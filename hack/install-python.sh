#!/usr/bin/env bash
# Create .venv with the pinned requirements. Reinstalls only when requirements.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "python venv: up to date"
  exit 0
fi
echo "python venv: installing requirements.txt"
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/pip check >/dev/null
echo "$want" > "$stamp"
echo "python venv: done"
