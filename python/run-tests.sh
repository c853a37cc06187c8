#!/bin/sh
# Runs the Python package's tests with an interpreter that has pytest, FastAPI, uvicorn,
# structlog and httpx (Debian: python3-pytest python3-fastapi python3-uvicorn
# python3-structlog python3-httpx). Without one: fails when CI is set, skips otherwise.
set -eu
cd "$(dirname "$0")"
check='import pytest, fastapi, uvicorn, structlog, httpx'
for candidate in "${PYTHON:-}" /usr/bin/python3 python3; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c "$check" 2>/dev/null; then
    exec "$candidate" -m pytest tests -q -p no:cacheprovider "$@"
  fi
done
message='python tests need python3 with pytest, fastapi, uvicorn, structlog and httpx: apt-get install -y python3-pytest python3-fastapi python3-uvicorn python3-structlog python3-httpx'
if [ -n "${CI:-}" ]; then
  echo "error: $message" >&2
  exit 1
fi
echo "skipped: $message" >&2
