# shellcheck shell=bash
# Shared by the scripts in tests/services/ (sourced, not run): logging, process and port checks,
# and the start/stop skeleton of the server scripts. Each script sets SERVICE (its name in logs)
# before sourcing this file.

log() { echo "${SERVICE:-services}: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
is_root() { [[ $(id -u) -eq 0 ]]; }

# A process that has exited but not yet been reaped (a zombie) counts as gone.
pid_alive() {
	[[ -n $1 ]] && kill -0 "$1" 2>/dev/null || return 1
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

# wait_gone PID TENTHS: wait up to TENTHS tenths of a second for PID to exit.
wait_gone() {
	for _ in $(seq "$2"); do
		pid_alive "$1" || return 0
		sleep 0.1
	done
	! pid_alive "$1"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The server scripts' `start`: until it has succeeded (`started` set), its EXIT trap stops what it
# made (`created`, with the script's STOP function). Call arm_start_cleanup STOP first thing.
started=
created=
arm_start_cleanup() {
	START_CLEANUP=$1
	trap start_failed EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}
start_failed() {
	local status=$?
	trap '' INT TERM HUP # a second Ctrl-C must not interrupt the cleanup (it is bounded in time)
	if [[ -z $started && -n $created ]]; then "$START_CLEANUP" "$created" || true; fi
	exit "$status"
}

# stop_pid_server DIR PIDFILE: stop the server whose pid DIR/PIDFILE holds, if it runs and the
# calling script's is_our_server PID DIR says it is ours (SIGTERM, SIGKILL after 5 s), then
# delete DIR. Fails only if the server cannot be stopped (and then leaves DIR in place).
stop_pid_server() {
	local dir=$1 pid=
	[[ -d $dir ]] || return 0
	pid=$(cat "$dir/$2" 2>/dev/null || true)
	if is_our_server "$pid" "$dir"; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! wait_gone "$pid" 50; then
			log "server (pid $pid) still running 5s after SIGTERM: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		if ! wait_gone "$pid" 50; then
			log "error: could not stop the server (pid $pid) of $dir"
			return 1
		fi
	fi
	rm -rf "$dir"
}

# stop_dir DIR VARIABLE MARKER STOP: the server scripts' `stop`. DIR (default: the value of the
# environment variable VARIABLE) is stopped with STOP and removed, if it exists and carries
# MARKER (so only a directory such a script made is ever deleted). Nothing to stop is not an error.
stop_dir() {
	local dir=${1:-${!2:-}} marker=$3 stop=$4
	if [[ -z $dir ]]; then
		log "nothing to stop (no directory given and $2 is not set)"
		return 0
	fi
	if [[ ! -d $dir ]]; then
		log "nothing to stop ($dir does not exist)"
		return 0
	fi
	dir=$(cd "$dir" && pwd -P) # servers' command lines carry this form of the path
	[[ -f $dir/$marker ]] || die "$dir was not made by this script (no $marker): not touching it"
	local t0=$SECONDS
	"$stop" "$dir"
	log "stopped and removed $dir in $((SECONDS - t0))s"
}
