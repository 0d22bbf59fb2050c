#!/usr/bin/env bash
# A throwaway HAProxy load balancer on loopback for the scale-out test (see
# tests/services/README.md).
#
#   haproxy.sh install              installs Debian's `haproxy` with apt-get when it is missing (as
#                                   root; otherwise says what to install and exits non-zero), and
#                                   prints on stdout, for `eval`:
#                                     export RESTFRAME_TEST_HAPROXY=<path of the haproxy binary>
#   haproxy.sh start BACKEND...     the same install, then starts HAProxy on 127.0.0.1 in a fresh
#                                   directory, balancing round-robin over the BACKENDs (each
#                                   HOST:PORT, e.g. 127.0.0.1:41233), with HTTP health checks
#                                   (GET /api/hello/ every 500 ms), adding X-Forwarded-For and
#                                   X-Forwarded-Proto; waits until it answers, and prints:
#                                     export RESTFRAME_TEST_HAPROXY_URL=http://127.0.0.1:PORT
#                                     export RESTFRAME_TEST_HAPROXY_DIR=<directory of this server>
#                                   Everything else goes to stderr. On any failure it stops
#                                   whatever it started, removes the directory and exits non-zero.
#   haproxy.sh stop [DIR]           stops the server of directory DIR (default:
#                                   $RESTFRAME_TEST_HAPROXY_DIR) and removes DIR. Nothing to stop is
#                                   not an error.
#
# Environment:
#   HAPROXYPORT_TEST         first port to try (default 58080); busy ports are skipped upwards.
#   HAPROXY_HEALTH_PATH      the backends' health-check path (default /api/hello/).
#   RESTFRAME_SERVICES_DIR   if set, the directory is $RESTFRAME_SERVICES_DIR/haproxy (so a caller
#                            knows where it is before `start` returns); otherwise a new one from
#                            mktemp.
#
# Layout of DIR: haproxy.cfg its configuration, haproxy.pid its process id, server.log its output
# (HAProxy's own messages and one line per failed or cut request: `option dontlog-normal`).
# It runs as the current user, in the foreground of a background job (`-db`).
set -euo pipefail

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
MARKER=restframe-test-haproxy # written into the directory; `stop` deletes only such directories

SERVICE="haproxy.sh"
# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

find_haproxy() {
	local bin
	for bin in "$(command -v haproxy || true)" /usr/sbin/haproxy; do
		if [[ -n $bin && -x $bin ]]; then
			echo "$bin"
			return 0
		fi
	done
	return 1
}

install_haproxy() {
	if ! is_root || ! command -v apt-get >/dev/null; then
		die "haproxy not found, and not root (or no apt-get), so it cannot be installed here. Either
  install it (Debian/Ubuntu: sudo apt-get install haproxy), run as root, or skip the scale-out test"
	fi
	log "installing Debian package haproxy with apt-get"
	# Without systemd, the package's scripts would try to start the default instance: forbid
	# service starts during the install, unless the machine already has a policy.
	local policy=/usr/sbin/policy-rc.d own_policy= rc=0 t0=$SECONDS
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	{
		apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy
	} >&2 || rc=$?
	if [[ -n $own_policy ]]; then rm -f "$policy"; fi
	[[ $rc -eq 0 ]] || die "apt-get install haproxy failed (exit $rc)"
	log "installed in $((SECONDS - t0))s"
}

# The haproxy binary, installed first when missing.
ensure_haproxy() {
	local bin
	if ! bin=$(find_haproxy); then
		install_haproxy
		bin=$(find_haproxy) || die "haproxy installed, but not on PATH nor at /usr/sbin/haproxy"
	fi
	echo "$bin"
}

# is_our_server PID DIR: PID is alive and is the haproxy running DIR/haproxy.cfg (not a reused pid).
is_our_server() {
	pid_alive "$1" || return 1
	local args
	args=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $(head -n 1 <<<"$args") == *haproxy ]] && grep -qxF "$2/haproxy.cfg" <<<"$args"
}

# answers PORT: HAProxy's own monitor URI answers 200 on PORT.
answers() {
	local line
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	printf 'GET /haproxy-monitor HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$1" >&3
	IFS= read -r -t 2 line <&3 || line=
	exec 3<&-
	[[ $line == HTTP/1.[01]\ 200* ]]
}

# stop_server DIR: stop the server of DIR if one runs, then delete DIR (lib.sh's stop_pid_server).
stop_server() { stop_pid_server "$1" haproxy.pid; }

# write_config DIR PORT BACKEND...: DIR/haproxy.cfg.
write_config() {
	local dir=$1 port=$2 i=0 backend
	shift 2
	{
		cat <<EOF
# restframe test load balancer (tests/services/haproxy.sh)
global
	maxconn 2048
	log stdout format raw local0 info

defaults
	mode http
	log global
	option httplog
	# Only failed, cut or retried requests are logged.
	option dontlog-normal
	timeout connect 2s
	timeout client 60s
	timeout server 60s
	timeout http-request 30s
	timeout http-keep-alive 10s
	# A connection refused by a dead backend is retried on another one (nothing was sent yet).
	retries 3
	option redispatch 1
	retry-on conn-failure

frontend restframe
	bind 127.0.0.1:$port
	monitor-uri /haproxy-monitor
	# The client's address and scheme, for backends that trust this proxy (--trusted-proxies).
	option forwardfor
	http-request set-header X-Forwarded-Proto http
	default_backend instances

backend instances
	balance roundrobin
	option httpchk
	http-check send meth GET uri ${HAPROXY_HEALTH_PATH:-/api/hello/} ver HTTP/1.1 hdr Host 127.0.0.1 hdr Accept application/json
	http-check expect status 200
	default-server check inter 500ms fall 2 rise 2
EOF
		for backend in "$@"; do
			i=$((i + 1))
			printf '\tserver app%d %s\n' "$i" "$backend"
		done
	} >"$dir/haproxy.cfg"
}

cmd_start() {
	local bin dir port pid attempts=0 ready deadline status backend
	(($# > 0)) || die "usage: $0 start HOST:PORT... (at least one backend)"
	local re='^[][A-Za-z0-9.:-]+:[0-9]+$'
	for backend in "$@"; do
		[[ $backend =~ $re ]] || die "backend $backend is not HOST:PORT"
	done
	[[ ${HAPROXYPORT_TEST:-58080} =~ ^[0-9]+$ ]] || die "HAPROXYPORT_TEST=$HAPROXYPORT_TEST is not a port number"
	bin=$(ensure_haproxy)
	log "using $bin ($("$bin" -v 2>&1 | head -n 1 || true))"

	if [[ -n ${RESTFRAME_SERVICES_DIR:-} ]]; then
		[[ -d $RESTFRAME_SERVICES_DIR ]] || die "RESTFRAME_SERVICES_DIR=$RESTFRAME_SERVICES_DIR is not a directory"
		dir=$(cd "$RESTFRAME_SERVICES_DIR" && pwd)/haproxy
		[[ ! -e $dir ]] || die "$dir already exists (a server already started there? run: $SELF stop $dir)"
		mkdir -m 700 "$dir"
	else
		dir=$(mktemp -d -t restframe-haproxy.XXXXXX)
	fi
	dir=$(cd "$dir" && pwd -P) # as `stop` will see it (it finds the server by this path)
	# From here on, any exit other than success stops the server (if it got started) and removes
	# the directory.
	created=$dir
	arm_start_cleanup stop_server

	chmod 700 "$dir"
	: >"$dir/$MARKER"

	port=${HAPROXYPORT_TEST:-58080}
	local t0=$SECONDS
	while :; do
		attempts=$((attempts + 1))
		((attempts <= 50 && port <= 65535)) || die "no free port found from ${HAPROXYPORT_TEST:-58080} upwards"
		if port_in_use "$port"; then
			log "port $port is busy, trying $((port + 1))"
			port=$((port + 1))
			continue
		fi
		write_config "$dir" "$port" "$@"
		"$bin" -c -q -f "$dir/haproxy.cfg" >&2 || die "haproxy refused its configuration ($dir/haproxy.cfg)"
		# Output to a file, never to our stdout: the caller reads that until it is closed.
		(cd "$dir" && exec "$bin" -db -f "$dir/haproxy.cfg") </dev/null >>"$dir/server.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/haproxy.pid"
		ready=
		deadline=$((SECONDS + 15))
		while pid_alive "$pid" && ((SECONDS < deadline)); do
			if is_our_server "$pid" "$dir" && answers "$port"; then
				ready=1
				break
			fi
			sleep 0.1
		done
		[[ -n $ready ]] && break
		if pid_alive "$pid"; then
			cat "$dir/server.log" >&2
			die "haproxy (pid $pid) did not answer on 127.0.0.1:$port within 15s (its output above)"
		fi
		status=0
		wait "$pid" || status=$?
		if grep -qi 'cannot bind\|address already in use' "$dir/server.log"; then
			log "port $port was taken meanwhile, trying $((port + 1))"
			: >"$dir/server.log"
			port=$((port + 1))
			continue
		fi
		cat "$dir/server.log" >&2
		die "haproxy exited with status $status right after starting (its output above)"
	done
	log "started on 127.0.0.1:$port (pid $pid) in $((SECONDS - t0))s, directory $dir, backends: $*"

	started=1
	printf 'export RESTFRAME_TEST_HAPROXY_URL=%q\n' "http://127.0.0.1:$port"
	printf 'export RESTFRAME_TEST_HAPROXY_DIR=%q\n' "$dir"
}

cmd_install() {
	local bin
	bin=$(ensure_haproxy)
	"$bin" -v >/dev/null 2>&1 || die "$bin does not run"
	printf 'export RESTFRAME_TEST_HAPROXY=%q\n' "$bin"
}

cmd_stop() {
	stop_dir "${1:-}" RESTFRAME_TEST_HAPROXY_DIR "$MARKER" stop_server
}

case ${1:-} in
install) cmd_install ;;
start)
	shift
	cmd_start "$@"
	;;
stop) cmd_stop "${2:-}" ;;
*)
	echo "usage: $0 install | start HOST:PORT... | stop [DIR]" >&2
	exit 2
	;;
esac
