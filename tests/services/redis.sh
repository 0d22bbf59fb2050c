#!/usr/bin/env bash
# A throwaway Redis server on loopback for the test suite (see tests/services/README.md).
#
#   redis.sh start        installs Debian's `redis-server` with apt-get if it is missing and we are
#                         root; starts it on 127.0.0.1 with no persistence (`--save ''
#                         --appendonly no`) in a fresh directory, waits until `redis-cli ping`
#                         answers, and prints on stdout, for `eval`:
#                           export RESTFRAME_TEST_REDIS_URL=redis://127.0.0.1:PORT/
#                           export RESTFRAME_TEST_REDIS_DIR=<directory of this server>
#                         Everything else goes to stderr. On any failure it stops whatever it
#                         started, removes the directory and exits non-zero.
#   redis.sh stop [DIR]   stops the server of directory DIR (default: $RESTFRAME_TEST_REDIS_DIR) and
#                         removes DIR. Nothing to stop is not an error.
#
# Environment:
#   REDISPORT_TEST           first port to try (default 56379); busy ports are skipped upwards.
#   RESTFRAME_SERVICES_DIR   if set, the directory is $RESTFRAME_SERVICES_DIR/redis (so a caller
#                            knows where it is before `start` returns); otherwise a new one from
#                            mktemp.
#
# Layout of DIR: redis-server.pid its process id, server.log its output (the server's working
# directory is DIR; with persistence off it writes nothing else). It runs as the current user.
set -euo pipefail

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
MARKER=restframe-test-redis # written into the directory; `stop` deletes only such directories

SERVICE="redis.sh"
# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_redis() {
	log "installing Debian package redis-server with apt-get"
	# Without systemd, the package's scripts would try to start the default server on port 6379:
	# forbid service starts during the install, unless the machine already has a policy.
	local policy=/usr/sbin/policy-rc.d own_policy=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	local rc=0
	{
		apt-get update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-tools
	} >&2 || rc=$?
	if [[ -n $own_policy ]]; then rm -f "$policy"; fi
	[[ $rc -eq 0 ]] || die "apt-get failed (exit $rc)"
}

find_redis() {
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		if is_root && command -v apt-get >/dev/null; then
			install_redis
		else
			log "error: redis-server or redis-cli not found, and not root, so it cannot be installed"
			log "here. Either install it (Debian/Ubuntu: sudo apt-get install redis-server), run as"
			log "root, or set RESTFRAME_SKIP_SERVICES=1 to run the tests without Redis."
			exit 1
		fi
	fi
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
		die "redis-server installed, but redis-server or redis-cli is not on PATH"
}

# is_our_server PID DIR: PID is alive and is the redis-server started in DIR (not a reused pid).
is_our_server() {
	pid_alive "$1" || return 1
	[[ $(readlink "/proc/$1/cwd" 2>/dev/null) == "$2" ]] &&
		[[ $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) == redis-server* ]]
}

# answers_ping PORT: the server on PORT answers PONG.
answers_ping() {
	[[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

# stop_server DIR: stop the server of DIR if one runs, then delete DIR (lib.sh's stop_pid_server).
stop_server() { stop_pid_server "$1" redis-server.pid; }

cmd_start() {
	local dir port pid attempts=0 ready deadline status
	[[ ${REDISPORT_TEST:-56379} =~ ^[0-9]+$ ]] || die "REDISPORT_TEST=$REDISPORT_TEST is not a port number"
	find_redis
	log "using $(command -v redis-server) ($(redis-server --version 2>&1 || true))"

	if [[ -n ${RESTFRAME_SERVICES_DIR:-} ]]; then
		[[ -d $RESTFRAME_SERVICES_DIR ]] || die "RESTFRAME_SERVICES_DIR=$RESTFRAME_SERVICES_DIR is not a directory"
		dir=$(cd "$RESTFRAME_SERVICES_DIR" && pwd)/redis
		[[ ! -e $dir ]] || die "$dir already exists (a server already started there? run: $SELF stop $dir)"
		mkdir -m 700 "$dir"
	else
		dir=$(mktemp -d -t restframe-redis.XXXXXX)
	fi
	dir=$(cd "$dir" && pwd -P) # as /proc/PID/cwd will show it (`stop` finds the server by it)
	# From here on, any exit other than success stops the server (if it got started) and removes
	# the directory.
	created=$dir
	arm_start_cleanup stop_server

	chmod 700 "$dir"
	: >"$dir/$MARKER"

	port=${REDISPORT_TEST:-56379}
	local t0=$SECONDS
	while :; do
		attempts=$((attempts + 1))
		((attempts <= 50 && port <= 65535)) || die "no free port found from ${REDISPORT_TEST:-56379} upwards"
		if port_in_use "$port"; then
			log "port $port is busy, trying $((port + 1))"
			port=$((port + 1))
			continue
		fi
		# In the foreground of a background job (so its pid is ours), working in DIR; output to
		# a file, never to our stdout: the caller reads that until it is closed.
		(cd "$dir" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
			--daemonize no --dir "$dir") </dev/null >>"$dir/server.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/redis-server.pid"
		ready=
		deadline=$((SECONDS + 15))
		while pid_alive "$pid" && ((SECONDS < deadline)); do
			if answers_ping "$port" && is_our_server "$pid" "$dir"; then
				ready=1
				break
			fi
			sleep 0.1
		done
		[[ -n $ready ]] && break
		if pid_alive "$pid"; then
			cat "$dir/server.log" >&2
			die "redis-server (pid $pid) did not answer PING on 127.0.0.1:$port within 15s (its output above)"
		fi
		status=0
		wait "$pid" || status=$?
		if grep -qi 'address already in use' "$dir/server.log"; then
			log "port $port was taken meanwhile, trying $((port + 1))"
			: >"$dir/server.log"
			port=$((port + 1))
			continue
		fi
		cat "$dir/server.log" >&2
		die "redis-server exited with status $status right after starting (its output above)"
	done
	log "started on 127.0.0.1:$port (pid $pid) in $((SECONDS - t0))s, directory $dir"

	started=1
	printf 'export RESTFRAME_TEST_REDIS_URL=%q\n' "redis://127.0.0.1:$port/"
	printf 'export RESTFRAME_TEST_REDIS_DIR=%q\n' "$dir"
}

cmd_stop() {
	stop_dir "${1:-}" RESTFRAME_TEST_REDIS_DIR "$MARKER" stop_server
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop "${2:-}" ;;
*)
	echo "usage: $0 start | stop [DIR]" >&2
	exit 2
	;;
esac
