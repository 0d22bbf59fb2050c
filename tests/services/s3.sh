#!/usr/bin/env bash
# A throwaway S3-compatible server (s3s-fs) on loopback for the test suite (see
# tests/services/README.md).
#
#   s3.sh start        installs s3s-fs with `cargo install` if it is not found (takes a few
#                      minutes); creates a fresh directory, generates a random access key and secret,
#                      creates the bucket `restframe-test`, starts s3s-fs on 127.0.0.1 (it checks
#                      SigV4 signatures and presigned URLs), waits until it answers HTTP, and prints
#                      on stdout, for `eval`:
#                        export RESTFRAME_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#                        export RESTFRAME_TEST_S3_BUCKET=restframe-test
#                        export RESTFRAME_TEST_S3_REGION=us-east-1
#                        export RESTFRAME_TEST_S3_ACCESS_KEY_ID=<random>
#                        export RESTFRAME_TEST_S3_SECRET_ACCESS_KEY=<random>
#                        export RESTFRAME_TEST_S3_DIR=<directory of this server>
#                      Clients must use path-style addressing (ENDPOINT/BUCKET/KEY). Everything else
#                      goes to stderr. On any failure it stops whatever it started, removes the
#                      directory and exits non-zero.
#   s3.sh stop [DIR]   stops the server of directory DIR (default: $RESTFRAME_TEST_S3_DIR) and
#                      removes DIR. Nothing to stop is not an error.
#
# Environment:
#   S3PORT_TEST              first port to try (default 59000); busy ports are skipped upwards.
#   RESTFRAME_SERVICES_DIR   if set, the directory is $RESTFRAME_SERVICES_DIR/s3 (so a caller knows
#                            where it is before `start` returns); otherwise a new one from mktemp.
#
# Layout of DIR: data/ is s3s-fs's root (each subdirectory is a bucket), s3s-fs.pid its process id,
# server.log its output, env the lines `start` printed (mode 600: it holds the secret).
# The server runs as the current user. Its keys are on its command line (s3s-fs takes them no
# other way), so other local users can see them: they are random, per run, and loopback-only.
set -euo pipefail

S3S_FS_VERSION=0.14.1 # newer versions need a newer rustc than 1.95
BUCKET=restframe-test
REGION=us-east-1
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
MARKER=restframe-test-s3 # written into the directory; `stop` deletes only such directories

SERVICE="s3.sh"
# shellcheck source=tests/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Where `cargo install` puts binaries (often not on PATH, e.g. under sudo).
cargo_bin_dir() { echo "${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"; }

# The s3s-fs binary: on PATH, or in cargo's bin directory.
find_s3s_fs() {
	local bin
	for bin in "$(command -v s3s-fs || true)" "$(cargo_bin_dir)/s3s-fs"; do
		if [[ -n $bin && -x $bin ]]; then
			echo "$bin"
			return 0
		fi
	done
	return 1
}

install_s3s_fs() {
	command -v cargo >/dev/null ||
		die "s3s-fs is not installed and there is no cargo to install it with (install Rust, then:
  cargo install --locked s3s-fs@$S3S_FS_VERSION --features binary), or set RESTFRAME_SKIP_SERVICES=1"
	log "installing s3s-fs $S3S_FS_VERSION with cargo install (takes a few minutes)"
	local t0=$SECONDS rc=0
	# From / so that no project's .cargo/config.toml (target dir, flags) applies; and into cargo's own
	# temporary target directory, not a CARGO_TARGET_DIR meant for the project.
	(cd / && env -u CARGO_TARGET_DIR -u CARGO_BUILD_TARGET_DIR \
		cargo install --locked "s3s-fs@$S3S_FS_VERSION" --features binary) >&2 || rc=$?
	[[ $rc -eq 0 ]] || die "cargo install s3s-fs failed (exit $rc)"
	log "installed s3s-fs in $((SECONDS - t0))s"
}

# is_our_server PID DIR: PID is alive and is the s3s-fs serving DIR/data (not a reused pid).
is_our_server() {
	pid_alive "$1" || return 1
	local args
	args=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $(head -n 1 <<<"$args") == *s3s-fs ]] && grep -qxF "$2/data" <<<"$args"
}

# listening PID PORT: PID itself has a socket listening on 127.0.0.1:PORT (so an answer on the port
# comes from our server, not from someone who took the port meanwhile).
listening() {
	local pid=$1 hexport inode
	printf -v hexport '%04X' "$2"
	# /proc/net/tcp: local_address is 0100007F:PORT (hex), st 0A is LISTEN, field 10 the inode.
	while read -r inode; do
		if [[ -n $(find "/proc/$pid/fd" -maxdepth 1 -lname "socket:\[$inode\]" 2>/dev/null) ]]; then
			return 0
		fi
	done < <(awk -v a="0100007F:$hexport" '$2 == a && $4 == "0A" { print $10 }' /proc/net/tcp)
	return 1
}


# answers_http PORT: something on the port speaks HTTP (any status: unsigned requests get 403).
answers_http() {
	if command -v curl >/dev/null; then
		local code
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/") || return 1
		[[ $code =~ ^[1-5][0-9][0-9]$ ]]
	else
		# No curl: send a request by hand and look for a status line.
		local line
		exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
		printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$1" >&3
		IFS= read -r -t 2 line <&3 || line=
		exec 3<&-
		[[ $line == HTTP/1.[01]\ [1-5][0-9][0-9]* ]]
	fi
}

# random_string LENGTH CHARS: LENGTH characters from the set CHARS (a `tr` set), from /dev/urandom.
random_string() {
	local s=
	while ((${#s} < $1)); do
		s+=$(head -c 512 /dev/urandom | LC_ALL=C tr -dc "$2")
	done
	echo "${s:0:$1}"
}

# stop_server DIR: stop the server of DIR if one runs, then delete DIR (lib.sh's stop_pid_server).
stop_server() { stop_pid_server "$1" s3s-fs.pid; }

cmd_start() {
	local bin dir port pid access_key secret_key attempts=0 ready deadline status
	[[ ${S3PORT_TEST:-59000} =~ ^[0-9]+$ ]] || die "S3PORT_TEST=$S3PORT_TEST is not a port number"
	[[ -r /proc/net/tcp ]] || die "no /proc/net/tcp (this script needs Linux)"
	if ! bin=$(find_s3s_fs); then
		install_s3s_fs
		bin=$(find_s3s_fs) || die "cargo install succeeded, but no s3s-fs on PATH or in $(cargo_bin_dir)"
	fi
	log "using $bin ($("$bin" --version 2>&1 || true))"

	if [[ -n ${RESTFRAME_SERVICES_DIR:-} ]]; then
		[[ -d $RESTFRAME_SERVICES_DIR ]] || die "RESTFRAME_SERVICES_DIR=$RESTFRAME_SERVICES_DIR is not a directory"
		dir=$(cd "$RESTFRAME_SERVICES_DIR" && pwd)/s3
		[[ ! -e $dir ]] || die "$dir already exists (a server already started there? run: $SELF stop $dir)"
		mkdir -m 700 "$dir"
	else
		dir=$(mktemp -d -t restframe-s3.XXXXXX)
	fi
	dir=$(cd "$dir" && pwd -P) # as `stop` will see it (it finds the server by this path)
	# From here on, any exit other than success stops the server (if it got started) and removes
	# the directory.
	created=$dir
	arm_start_cleanup stop_server

	chmod 700 "$dir"
	: >"$dir/$MARKER"
	mkdir -p "$dir/data/$BUCKET"
	access_key=$(random_string 20 'A-Z0-9')
	secret_key=$(random_string 40 'A-Za-z0-9')

	port=${S3PORT_TEST:-59000}
	local t0=$SECONDS
	while :; do
		attempts=$((attempts + 1))
		((attempts <= 50 && port <= 65535)) || die "no free port found from ${S3PORT_TEST:-59000} upwards"
		if port_in_use "$port"; then
			log "port $port is busy, trying $((port + 1))"
			port=$((port + 1))
			continue
		fi
		# Output to a file, never to our stdout: the caller reads that until it is closed.
		# (Started from a script, the server ignores SIGINT: a Ctrl-C reaches the caller, whose
		# cleanup stops the server.)
		"$bin" --host 127.0.0.1 --port "$port" --access-key "$access_key" --secret-key "$secret_key" \
			"$dir/data" </dev/null >>"$dir/server.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/s3s-fs.pid"
		ready=
		deadline=$((SECONDS + 15))
		while pid_alive "$pid" && ((SECONDS < deadline)); do
			if listening "$pid" "$port" && answers_http "$port"; then
				ready=1
				break
			fi
			sleep 0.1
		done
		[[ -n $ready ]] && break
		if pid_alive "$pid"; then
			cat "$dir/server.log" >&2
			die "s3s-fs (pid $pid) did not start answering HTTP on 127.0.0.1:$port within 15s (its output above)"
		fi
		status=0
		wait "$pid" || status=$?
		if grep -qi 'address already in use\|AddrInUse' "$dir/server.log"; then
			log "port $port was taken meanwhile, trying $((port + 1))"
			: >"$dir/server.log"
			port=$((port + 1))
			continue
		fi
		cat "$dir/server.log" >&2
		die "s3s-fs exited with status $status right after starting (its output above)"
	done
	log "started on 127.0.0.1:$port (pid $pid) in $((SECONDS - t0))s, directory $dir, bucket $BUCKET"

	local line name value
	{
		for line in \
			"RESTFRAME_TEST_S3_ENDPOINT=http://127.0.0.1:$port" \
			"RESTFRAME_TEST_S3_BUCKET=$BUCKET" \
			"RESTFRAME_TEST_S3_REGION=$REGION" \
			"RESTFRAME_TEST_S3_ACCESS_KEY_ID=$access_key" \
			"RESTFRAME_TEST_S3_SECRET_ACCESS_KEY=$secret_key" \
			"RESTFRAME_TEST_S3_DIR=$dir"; do
			name=${line%%=*}
			value=${line#*=}
			printf 'export %s=%q\n' "$name" "$value"
		done
	} >"$dir/env"
	chmod 600 "$dir/env"
	started=1
	cat "$dir/env"
}

cmd_stop() {
	stop_dir "${1:-}" RESTFRAME_TEST_S3_DIR "$MARKER" stop_server
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop "${2:-}" ;;
*)
	echo "usage: $0 start | stop [DIR]" >&2
	exit 2
	;;
esac
