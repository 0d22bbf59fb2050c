#!/usr/bin/env bash
# The Python tools of the test suite (see tests/services/README.md): schemathesis,
# openapi-spec-validator and openapi-python-client (tests/python/requirements.txt pins them), in a
# virtual environment of their own. Not a server: nothing to stop.
#
#   python-tools.sh install   creates the virtual environment (or recreates it when
#                             tests/python/requirements.txt, tests/python/constraints.txt or the
#                             Python interpreter changed; otherwise does nothing, in well under a
#                             second) and prints on stdout, for `eval`:
#                               export RESTFRAME_TEST_PYTHON_TOOLS=<venv>/bin
#                             Everything else goes to stderr. Installing needs PyPI (a minute or
#                             two); as root it installs Debian's python3 and python3-venv if
#                             there is no usable python3.
#
# Environment:
#   RESTFRAME_TEST_VENV   where the environment goes (default: <target dir>/test-tools/venv, the
#                         target dir being $CARGO_TARGET_DIR, relative to the repository root if
#                         relative, else <repository root>/target).
#   PYTHON                the interpreter to build it with (default: python3; 3.9 or newer).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REQUIREMENTS=$ROOT/tests/python/requirements.txt
CONSTRAINTS=$ROOT/tests/python/constraints.txt

SERVICE="python-tools.sh"
# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

target_dir() {
	local dir=${CARGO_TARGET_DIR:-target}
	[[ $dir == /* ]] || dir=$ROOT/$dir
	echo "$dir"
}

usable_python() {
	command -v "$1" >/dev/null &&
		"$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 9))' 2>/dev/null
}

find_python() {
	local python=${PYTHON:-python3}
	if ! usable_python "$python"; then
		if is_root && [[ -z ${PYTHON:-} ]]; then
			log "no usable python3 (3.9 or newer, with venv and ensurepip): installing Debian's python3-venv"
			{
				apt-get update -qq &&
					DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv
			} >&2 || die "apt-get failed"
		fi
		usable_python "$python" ||
			die "$python is missing or unusable (needs Python 3.9 or newer with the venv and ensurepip modules; Debian: apt-get install python3 python3-venv), or set RESTFRAME_SKIP_SERVICES=1"
	fi
	echo "$python"
}

cmd_install() {
	local python venv stamp want
	[[ -f $REQUIREMENTS && -f $CONSTRAINTS ]] || die "missing $REQUIREMENTS or $CONSTRAINTS"
	python=$(find_python)
	venv=${RESTFRAME_TEST_VENV:-$(target_dir)/test-tools/venv}
	stamp=$venv/restframe-stamp
	# What the environment was built from: both files and the interpreter (its path and version).
	want=$({
		cat "$REQUIREMENTS" "$CONSTRAINTS"
		"$python" -c 'import sys; print(sys.executable, sys.version)'
	} | sha256sum | cut -d' ' -f1)
	if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $venv/bin/schemathesis &&
		-x $venv/bin/openapi-spec-validator && -x $venv/bin/openapi-python-client ]]; then
		log "up to date: $venv"
	else
		local t0=$SECONDS
		log "creating $venv with $("$python" --version 2>&1) and installing tests/python/requirements.txt (a minute or two)"
		# A virtual environment cannot be moved once made, so it is built in place; the stamp is
		# written last, so an interrupted install is redone next time.
		rm -rf "$venv"
		mkdir -p "$(dirname "$venv")"
		"$python" -m venv "$venv" >&2 || die "$python -m venv $venv failed"
		"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
			-r "$REQUIREMENTS" -c "$CONSTRAINTS" >&2 || {
			rm -rf "$venv"
			die "pip install failed (needs PyPI)"
		}
		echo "$want" >"$stamp"
		log "installed in $((SECONDS - t0))s: $("$venv/bin/schemathesis" --version 2>&1 | head -n 1), openapi-spec-validator $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))'), $("$venv/bin/openapi-python-client" --version 2>&1 | head -n 1)"
	fi
	printf 'export RESTFRAME_TEST_PYTHON_TOOLS=%q\n' "$venv/bin"
}

case ${1:-} in
install) cmd_install ;;
*)
	echo "usage: $0 install" >&2
	exit 2
	;;
esac
