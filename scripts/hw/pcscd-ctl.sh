#!/usr/bin/env bash
# Controls the pcscd instances of a with-pcscd.sh run (card.md "Running the real stack"; hardware.md 8).
#
#   pcscd-ctl.sh start NAME [--port P] [--no-readers]   start (or restart) instance NAME
#   pcscd-ctl.sh stop NAME                              SIGTERM, then SIGKILL after 5 s
#   pcscd-ctl.sh kill NAME                              SIGKILL at once (a crash: the socket file stays)
#   pcscd-ctl.sh stop-all                               stop every instance of this run
#
# Needs MEDPOS_HW_DIR, MEDPOS_HW_NETNS and MEDPOS_VPCD_LIB (exported by with-pcscd.sh). Each instance
# runs `pcscd --foreground` in the run's network namespace, in its own mount namespace with a private
# /run whose /run/pcscd is $MEDPOS_HW_DIR/pcscd-NAME/run, and a reader.conf.d holding only the vpcd
# reader on port P (slots P and P+1). `start` prints the instance's settings as shell assignments:
#   PCSCLITE_CSOCK_NAME=...  MEDPOS_HW_VPCD=127.0.0.1:P  MEDPOS_HW_PCSCD_PID=...
# Processes are only ever signalled by the pid recorded at start, after checking it is still that
# instance's pcscd.
set -euo pipefail

die() { echo "pcscd-ctl: $*" >&2; exit 1; }
: "${MEDPOS_HW_DIR:?pcscd-ctl: MEDPOS_HW_DIR is not set (run under scripts/hw/with-pcscd.sh)}"
: "${MEDPOS_HW_NETNS:?pcscd-ctl: MEDPOS_HW_NETNS is not set (run under scripts/hw/with-pcscd.sh)}"

valid_name() { [[ "$1" =~ ^[A-Za-z0-9_-]{1,40}$ ]] || die "instance name must be 1-40 letters, digits, - or _: '$1'"; }

# Is $2 the pcscd (or its start-up shell) of instance dir $1? Checked through /proc before any signal.
is_ours() {
  local dir=$1 pid=$2
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir/conf"
}

instance_pid() { local f="$1/pid"; [ -f "$f" ] && cat "$f" || true; }

stop_instance() {
  local dir=$1 sig=$2 pid
  pid=$(instance_pid "$dir")
  if [ -n "$pid" ] && is_ours "$dir" "$pid"; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do is_ours "$dir" "$pid" || break; sleep 0.05; done
    if is_ours "$dir" "$pid"; then kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 40); do is_ours "$dir" "$pid" || break; sleep 0.05; done
    fi
  fi
  rm -f "$dir/pid"
  # A graceful stop removes the socket; a kill leaves it behind, as a crash would.
  [ "$sig" = KILL ] || rm -f "$dir/run/pcscd.comm" "$dir/run/pcscd.pid"
}

listening() { nsenter --net="/run/netns/$MEDPOS_HW_NETNS" -- ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

start_instance() {
  local name=$1; shift
  local dir="$MEDPOS_HW_DIR/pcscd-$name" port="" readers=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) [[ "${2:-}" =~ ^[0-9]{1,5}$ ]] && [ "$2" -ge 1024 ] && [ "$2" -le 65534 ] || die "--port needs 1024-65534"; port=$2; shift 2 ;;
      --no-readers) readers=0; shift ;;
      *) die "unknown option '$1'" ;;
    esac
  done
  mkdir -p "$dir/run" "$dir/conf"
  local old; old=$(instance_pid "$dir")
  if [ -n "$old" ] && is_ours "$dir" "$old"; then die "instance $name is already running (pid $old)"; fi
  if [ -z "$port" ]; then
    if [ -f "$dir/port" ]; then port=$(cat "$dir/port")
    else # next free pair above 36000
      port=36000; while [ -n "$(grep -lx "$port" "$MEDPOS_HW_DIR"/pcscd-*/port 2>/dev/null)" ]; do port=$((port + 2)); done
    fi
  fi
  echo "$port" > "$dir/port"
  rm -f "$dir/conf/vpcd"
  if [ "$readers" = 1 ]; then
    : "${MEDPOS_VPCD_LIB:?pcscd-ctl: MEDPOS_VPCD_LIB is not set}"
    printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n' \
      "$port" "$MEDPOS_VPCD_LIB" "$port" > "$dir/conf/vpcd"
  fi
  rm -f "$dir/run/pcscd.comm" "$dir/run/pcscd.pid"
  nsenter --net="/run/netns/$MEDPOS_HW_NETNS" -- unshare --mount --propagation private -- bash -c '
    set -e
    mount -t tmpfs -o size=1m,mode=0755 tmpfs /run
    mkdir -p /run/pcscd
    mount --bind "$1" /run/pcscd
    exec pcscd --foreground --error -c "$2"' _ "$dir/run" "$dir/conf" >> "$dir/pcscd.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$dir/pid"
  local ok=0
  for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if [ -S "$dir/run/pcscd.comm" ] && { [ "$readers" = 0 ] || listening "$port"; }; then ok=1; break; fi
    sleep 0.025
  done
  if [ "$ok" != 1 ]; then
    echo "pcscd-ctl: pcscd instance $name did not come up; its log:" >&2
    tail -n 30 "$dir/pcscd.log" >&2 || true
    stop_instance "$dir" TERM
    exit 1
  fi
  echo "PCSCLITE_CSOCK_NAME=$dir/run/pcscd.comm"
  echo "MEDPOS_HW_VPCD=127.0.0.1:$port"
  echo "MEDPOS_HW_PCSCD_PID=$pid"
}

[ $# -ge 1 ] || die "usage: pcscd-ctl.sh start|stop|kill NAME [--port P] [--no-readers] | stop-all"
action=$1; shift
case "$action" in
  start) [ $# -ge 1 ] || die "start needs a NAME"; valid_name "$1"; start_instance "$@" ;;
  stop | kill)
    [ $# -eq 1 ] || die "$action needs a NAME"; valid_name "$1"
    dir="$MEDPOS_HW_DIR/pcscd-$1"; [ -d "$dir" ] || die "no instance $1"
    stop_instance "$dir" "$([ "$action" = kill ] && echo KILL || echo TERM)" ;;
  stop-all)
    for dir in "$MEDPOS_HW_DIR"/pcscd-*/; do [ -d "$dir" ] && stop_instance "${dir%/}" TERM; done ;;
  *) die "unknown action '$action'" ;;
esac
