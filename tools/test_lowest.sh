#!/usr/bin/env bash
# Run the test suite on the LOWEST versions requirements.txt allows (each `name>=X` installed as `name==X`),
# in a throw-away venv under /tmp, so the lower bounds stay honest.
#
#   bash tools/test_lowest.sh             # lowest runtime pins + pytest/hypothesis/ruff; browser-marked tests deselected
#   bash tools/test_lowest.sh --browser   # also install playwright and run the browser-marked tests
#   bash tools/test_lowest.sh --keep      # reuse the venv if it exists (faster re-runs)
#   bash tools/test_lowest.sh -- -k csv   # anything after `--` goes to pytest
#
# Environment: PP_LOWEST_VENV (default /tmp/pp-lowest-venv), PYTHON (default python3).
# Only wheels are installed (--only-binary=:all:): a lower bound without a wheel for this Python fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${PP_LOWEST_VENV:-/tmp/pp-lowest-venv}"
PYTHON="${PYTHON:-python3}"
browser=0 keep=0 pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --browser) browser=1 ;;
    --keep) keep=1 ;;
    --) shift; pytest_args=("$@"); break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# requirements.txt `name>=X,<Y  # comment` → `name==X`; every runtime line must have a lower bound.
pins=$("$PYTHON" - <<'PY'
import re, sys
pins = []
for n, line in enumerate(open("requirements.txt", encoding="utf-8"), 1):
    spec = line.split("#", 1)[0].strip()
    if not spec or spec.startswith("-"):
        continue
    m = re.match(r"^([A-Za-z0-9_.\[\]-]+)\s*(?:[<>=!~].*)?$", spec)
    low = re.search(r">=\s*([0-9][^,;\s]*)", spec)
    if not m or not low:
        sys.exit(f"requirements.txt line {n}: no lower bound (>=) in {spec!r}")
    pins.append(f"{m.group(1)}=={low.group(1)}")
print(" ".join(pins))
PY
)
# requirements-dev.txt without its `-r requirements.txt` line; playwright only with --browser.
dev=$(grep -v '^\s*-r' requirements-dev.txt | sed 's/#.*//' | awk 'NF' | { if [ "$browser" = 1 ]; then cat; else grep -vi '^playwright'; fi; })

start=$(date +%s)
if [ "$keep" = 0 ] || [ ! -x "$VENV/bin/python" ]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
# shellcheck disable=SC2086  # word splitting of the pin list is intended
"$VENV/bin/python" -m pip install -q --only-binary=:all: $pins $dev
echo "installed (lowest allowed):"
for p in $pins; do
  name=${p%%==*}
  echo "  $name $("$VENV/bin/python" -m pip show "$name" 2>/dev/null | awk '/^Version:/{print $2}')"
done
select=()
[ "$browser" = 1 ] || select=(-m "not browser")  # the @pytest.mark.browser tests need playwright
status=0
PATH="$VENV/bin:$PATH" "$VENV/bin/python" -m pytest -p no:cacheprovider "${select[@]}" "${pytest_args[@]}" || status=$?
echo "lowest-versions run: exit $status in $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s"
exit "$status"
