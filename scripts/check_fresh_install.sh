#!/usr/bin/env bash
# Fresh-venv check of the dependency ranges in pyproject.toml: `pip install .` (no constraints file) into an
# environment that already holds torch and a different-but-compatible transformers must leave both alone, and
# the installed `babelvlm` command must run. Uses the pip cache, so it is quick after the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
TRANSFORMERS_VERSION=${TRANSFORMERS_VERSION:-5.22.2}  # constraints.txt pins another 5.x
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
pip="$work/venv/bin/python -m pip"
$pip install -q --upgrade pip
$pip install -q "torch==$TORCH_VERSION" "transformers==$TRANSFORMERS_VERSION"
before=$($pip freeze | grep -iE '^(torch|transformers)==' | sort)
# a copy of the tracked sources, so no build output lands in the worktree
git archive --format=tar HEAD | tar -x -C "$work" --one-top-level=src-copy
$pip install -q "$work/src-copy[hf,hub,xlsx]"  # the extras that name transformers / torch too
after=$($pip freeze | grep -iE '^(torch|transformers)==' | sort)
if [ "$before" != "$after" ]; then
  echo "FAIL: pip install . changed the existing packages" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
"$work/venv/bin/babelvlm" --help >/dev/null
"$work/venv/bin/python" -c "import babelvlm.cli, babelvlm.metrics; print('import ok')"
echo "fresh install ok: kept $(echo "$before" | tr '\n' ' ')"
