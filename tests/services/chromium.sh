#!/usr/bin/env bash
# Headless Chromium for the browser tests (see tests/services/README.md). Not a server: each test
# launches its own browser through playwright-core (tests/browser/), so there is nothing to stop.
#
#   chromium.sh install   installs Debian's `chromium` with apt-get when it is missing (as root;
#                         otherwise says what to install and exits non-zero), checks that it runs,
#                         and prints on stdout, for `eval`:
#                           export RESTFRAME_TEST_CHROMIUM=/usr/bin/chromium
#                         Everything else goes to stderr.
#
# Environment:
#   RESTFRAME_TEST_CHROMIUM   a Chromium (or Chrome) binary to use instead of Debian's; it is
#                             checked and printed again, and nothing is installed.
#
# Never `npx playwright install`: that downloads a browser build of Playwright's own, which is
# not possible here. playwright-core drives Debian's build through `executablePath`.
set -euo pipefail

SERVICE="chromium.sh"
# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBIAN_CHROMIUM=/usr/bin/chromium

install_chromium() {
	if ! is_root; then
		die "no Chromium at $DEBIAN_CHROMIUM, and not root, so it cannot be installed here. Either install it
  (Debian/Ubuntu: sudo apt-get install chromium), set RESTFRAME_TEST_CHROMIUM to a Chromium binary, run as
  root, or set RESTFRAME_SKIP_SERVICES=1 to run the tests without a browser"
	fi
	log "installing Debian package chromium with apt-get (about a minute)"
	local t0=$SECONDS rc=0
	{
		apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
	} >&2 || rc=$?
	[[ $rc -eq 0 ]] || die "apt-get install chromium failed (exit $rc)"
	log "installed in $((SECONDS - t0))s"
}

cmd_install() {
	local bin=${RESTFRAME_TEST_CHROMIUM:-}
	if [[ -n $bin ]]; then
		[[ -x $bin ]] || die "RESTFRAME_TEST_CHROMIUM=$bin is not an executable file"
	else
		bin=$DEBIAN_CHROMIUM
		[[ -x $bin ]] || install_chromium
		[[ -x $bin ]] || die "apt-get installed chromium, but there is no $bin"
	fi
	# Debian's wrapper script prints a harmless "[: unexpected operator" line: drop it.
	local version
	version=$("$bin" --version 2>/dev/null) || die "$bin --version failed: it does not run"
	log "using $bin ($version)"
	printf 'export RESTFRAME_TEST_CHROMIUM=%q\n' "$bin"
}

case ${1:-} in
install) cmd_install ;;
*)
	echo "usage: $0 install" >&2
	exit 2
	;;
esac
