#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the test suite (see tests/services/README.md).
#
#   postgres.sh start        installs Debian's `postgresql` with apt-get if no server binaries are
#                            found and we are root; creates a fresh cluster in a temporary data
#                            directory (trust auth, fsync=off), starts it on 127.0.0.1, creates the
#                            database `restframe_test`, and prints on stdout, for `eval`:
#                              export RESTFRAME_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/restframe_test
#                              export RESTFRAME_TEST_PGDATA=<data directory>
#                            Everything else goes to stderr. On any failure it stops whatever it
#                            started, removes the directory and exits non-zero.
#   postgres.sh stop [DIR]   stops the server of data directory DIR (default: $RESTFRAME_TEST_PGDATA)
#                            and removes DIR. Nothing to stop is not an error.
#
# Environment:
#   PGPORT_TEST              first port to try (default 55432); busy ports are skipped upwards.
#   RESTFRAME_SERVICES_DIR   if set, the data directory is $RESTFRAME_SERVICES_DIR/postgres (so a
#                            caller knows where it is before `start` returns); otherwise a new
#                            directory from mktemp.
#
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root); otherwise it
# runs as the current user.
set -euo pipefail

DB_NAME=restframe_test
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
MARKER=restframe-test-cluster # written into the data directory; `stop` deletes only such directories

SERVICE="postgres.sh"
# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The newest Debian server binaries, or nothing.
debian_pgbin() {
	local initdb
	initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
	if [[ -x $initdb ]]; then dirname "$initdb"; fi
}

install_postgres() {
	log "installing Debian package postgresql with apt-get (takes a minute or two)"
	# Without systemd, the package's scripts would try to start the default cluster on port 5432:
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
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
	} >&2 || rc=$?
	if [[ -n $own_policy ]]; then rm -f "$policy"; fi
	[[ $rc -eq 0 ]] || die "apt-get failed (exit $rc)"
}

find_pgbin() {
	local bin
	bin=$(debian_pgbin)
	if [[ -z $bin ]] && is_root; then
		install_postgres
		bin=$(debian_pgbin)
		[[ -n $bin ]] || die "postgresql installed, but no /usr/lib/postgresql/*/bin/initdb"
	fi
	if [[ -z $bin ]] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		bin=$(dirname "$(command -v initdb)")
	fi
	if [[ -z $bin ]]; then
		log "error: no PostgreSQL server found (looked for /usr/lib/postgresql/*/bin/initdb and initdb on PATH),"
		log "and not root, so it cannot be installed here. Either install it (Debian/Ubuntu:"
		log "sudo apt-get install postgresql), run as root, or set RESTFRAME_SKIP_SERVICES=1 to run the"
		log "tests without PostgreSQL."
		exit 1
	fi
	echo "$bin"
}

# run_as OWNER CMD...: CMD as OWNER (only root can switch users; anyone else runs it as themselves).
run_as() {
	local owner=$1
	shift
	if is_root && [[ $owner != root ]]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

# stop_cluster DIR: stop the server of DIR if one runs, then delete DIR. Fails only if the server
# cannot be stopped (and then leaves DIR in place).
stop_cluster() {
	local dir=$1 owner pgbin pid=
	[[ -d $dir ]] || return 0
	owner=$(stat -c %U "$dir")
	if [[ -f $dir/postmaster.pid ]]; then
		pid=$(head -n 1 "$dir/postmaster.pid" 2>/dev/null || true)
	fi
	if pid_alive "$pid"; then
		pgbin=$(cat "$dir/$MARKER" 2>/dev/null || true)
		[[ -x $pgbin/pg_ctl ]] || pgbin=$(find_pgbin)
		# pg_ctl returns once the pid file is gone, a moment before the process has exited.
		run_as "$owner" "$pgbin/pg_ctl" -D "$dir" -m fast -w -t 30 stop >&2 || true
		if ! wait_gone "$pid" 50; then
			log "server (pid $pid) still running after a fast shutdown: immediate shutdown"
			run_as "$owner" "$pgbin/pg_ctl" -D "$dir" -m immediate -w -t 10 stop >&2 || true
		fi
		if ! wait_gone "$pid" 50; then
			log "server (pid $pid) still running: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		if ! wait_gone "$pid" 50; then
			log "error: could not stop the server (pid $pid) of $dir"
			return 1
		fi
	fi
	rm -rf "$dir"
}


cmd_start() {
	local pgbin pgdata owner port out attempts=0
	[[ ${PGPORT_TEST:-55432} =~ ^[0-9]+$ ]] || die "PGPORT_TEST=$PGPORT_TEST is not a port number"
	pgbin=$(find_pgbin)
	log "using $pgbin ($("$pgbin/postgres" --version))"

	if [[ -n ${RESTFRAME_SERVICES_DIR:-} ]]; then
		[[ -d $RESTFRAME_SERVICES_DIR ]] || die "RESTFRAME_SERVICES_DIR=$RESTFRAME_SERVICES_DIR is not a directory"
		pgdata=$(cd "$RESTFRAME_SERVICES_DIR" && pwd)/postgres
		[[ ! -e $pgdata ]] || die "$pgdata already exists (a server already started there? run: $SELF stop $pgdata)"
		mkdir -m 700 "$pgdata"
	else
		pgdata=$(mktemp -d -t restframe-pg.XXXXXX)
	fi
	# From here on, any exit other than success stops the server (if it got started) and removes
	# the directory.
	created=$pgdata
	arm_start_cleanup stop_cluster

	owner=$(id -un)
	if is_root; then
		owner=postgres
		id -u postgres >/dev/null 2>&1 || die "running as root, but there is no user 'postgres' to run the server as"
		chown postgres: "$pgdata"
		run_as postgres test -x "$pgdata" ||
			die "user postgres cannot reach $pgdata (a parent directory is not searchable by others)"
	fi
	chmod 700 "$pgdata"
	cd / # the server user may not be able to read the caller's working directory

	local t0=$SECONDS
	out=$(run_as "$owner" "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 \
		--locale=C --no-sync 2>&1) || {
		echo "$out" >&2
		die "initdb failed"
	}
	echo "$pgbin" >"$pgdata/$MARKER"
	cat >>"$pgdata/postgresql.conf" <<EOF

# restframe test server (tests/services/postgres.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdata'
fsync = off
EOF
	log "initdb: $((SECONDS - t0))s"

	port=${PGPORT_TEST:-55432}
	t0=$SECONDS
	while :; do
		attempts=$((attempts + 1))
		((attempts <= 50)) || die "no free port found from ${PGPORT_TEST:-55432} upwards"
		((port <= 65535)) || die "no free port found from ${PGPORT_TEST:-55432} upwards"
		if port_in_use "$port"; then
			log "port $port is busy, trying $((port + 1))"
			port=$((port + 1))
			continue
		fi
		: >"$pgdata/server.log"
		chown "$owner" "$pgdata/server.log"
		if out=$(run_as "$owner" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
			-o "-p $port" start 2>&1); then
			break
		fi
		if grep -q 'could not bind\|Address already in use' "$pgdata/server.log"; then
			log "port $port was taken meanwhile, trying $((port + 1))"
			stop_cluster_server_only "$pgdata" "$pgbin" "$owner"
			port=$((port + 1))
			continue
		fi
		echo "$out" >&2
		cat "$pgdata/server.log" >&2
		die "the server did not start (pg_ctl output and server log above)"
	done

	local url="postgresql://postgres@127.0.0.1:$port/$DB_NAME"
	for _ in $(seq 100); do
		"$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && break
		sleep 0.1
	done
	"$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres ||
		die "the server does not accept connections on 127.0.0.1:$port"
	"$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB_NAME" >&2 ||
		die "createdb $DB_NAME failed"
	log "started on 127.0.0.1:$port in $((SECONDS - t0))s, data directory $pgdata"

	started=1
	printf 'export RESTFRAME_TEST_POSTGRES_URL=%q\n' "$url"
	printf 'export RESTFRAME_TEST_PGDATA=%q\n' "$pgdata"
}

# After a failed start attempt: make sure no server process of that attempt survives (keeps the
# data directory for the next attempt).
stop_cluster_server_only() {
	local dir=$1 pgbin=$2 owner=$3
	if [[ -f $dir/postmaster.pid ]]; then
		run_as "$owner" "$pgbin/pg_ctl" -D "$dir" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
	fi
}

cmd_stop() {
	stop_dir "${1:-}" RESTFRAME_TEST_PGDATA "$MARKER" stop_cluster
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop "${2:-}" ;;
*)
	echo "usage: $0 start | stop [DATA_DIR]" >&2
	exit 2
	;;
esac
