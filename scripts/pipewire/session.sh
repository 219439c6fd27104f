#!/usr/bin/env bash
# session.sh — a private, display-less Wayland + PipeWire + ScreenCast portal
# session for the pipewire backend's tests (and for trying the backend by hand):
# dbus-daemon, headless sway (pixman renderer, one output HEADLESS-1),
# pipewire + wireplumber, xdg-desktop-portal-wlr (chooser_type=none) and
# xdg-desktop-portal, all on a private XDG_RUNTIME_DIR and session bus.
#
#   eval "$(scripts/pipewire/session.sh start DIR)"   # prints `export ...` lines
#   scripts/pipewire/session.sh stop DIR               # stops what start started
#   scripts/pipewire/session.sh env DIR                # prints the exports again
#
# start is idempotent: on a DIR whose session is still running it only prints
# the exports again; a half-dead session in DIR is stopped and started afresh.
# stop on a DIR without a session does nothing. Everything (runtime dir,
# config, permission store, logs, pids) lives under DIR; nothing touches the
# user's own session.
#
# Environment: HEADLESS_WIDTH/HEADLESS_HEIGHT (1280x720), HEADLESS_BG (#ff0000),
# HEADLESS_MAX_FPS (30), HEADLESS_XDPW_SHIM (1: preload xdpw-shm-shim.so, needed
# on a compositor without DMA-BUF, i.e. without a GPU), HEADLESS_SWAY_USER
# (nobody: sway refuses to run as root, so as root it runs as this user).
# Debian packages: see scripts/install-deps.sh (pipewire, wireplumber, sway,
# swaybg, xdg-desktop-portal, xdg-desktop-portal-wlr, dbus, gcc).
set -euo pipefail

cmd=${1:-}
W=${2:-}
[[ -z $W ]] || W=$(realpath -m "$W")
HERE=$(cd "$(dirname "$0")" && pwd)
W_W=${HEADLESS_WIDTH:-1280}
W_H=${HEADLESS_HEIGHT:-720}
BG=${HEADLESS_BG:-#ff0000}
MAX_FPS=${HEADLESS_MAX_FPS:-30}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.3f", b-a}'; }
# wait_for DESC TIMEOUT_S CMD... : poll CMD every 20 ms
wait_for() {
  local desc=$1 t=$2; shift 2
  local end=$(( $(date +%s) + t ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= end )); then echo "timeout waiting for $desc" >&2; return 1; fi
    sleep 0.02
  done
}
# wait_for DESC TIMEOUT_S CMD... : poll CMD every 20 ms
wait_for() {
  local desc=$1 t=$2; shift 2
  local end=$(( $(date +%s) + t ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= end )); then echo "timeout waiting for $desc" >&2; return 1; fi
    sleep 0.02
  done
}
has_name() {  # has_name BUSNAME: is it owned on our private session bus?
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'
}

# alive DIR: is every process recorded in DIR/pids still running?
alive() {
  [[ -s $1/pids && -s $1/env ]] || return 1
  local name pid
  while read -r name pid; do kill -0 "$pid" 2>/dev/null || return 1; done < "$1/pids"
}

stop() {
  [[ -n $W ]] || { echo "usage: $0 stop DIR" >&2; exit 2; }
  [[ -f $W/pids ]] || return 0
  # reverse start order; only the PIDs we recorded
  tac "$W/pids" | while read -r name pid; do
    kill "$pid" 2>/dev/null && echo "stopped $name ($pid)" >&2 || true
  done
  local i
  for i in $(seq 50); do
    local any=0
    while read -r name pid; do kill -0 "$pid" 2>/dev/null && any=1; done < "$W/pids"
    (( any )) || break
    sleep 0.02
  done
  tac "$W/pids" | while read -r name pid; do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$W/pids" "$W/env"
  # xdg-document-portal (D-Bus activated) mounts a FUSE fs here; it normally
  # unmounts itself when the bus goes away
  if mountpoint -q "$W/run/doc" 2>/dev/null; then fusermount3 -u -z "$W/run/doc" || true; fi
}

start() {
  mkdir -p "$W"/{run,config/sway,config/xdg-desktop-portal-wlr,logs,data,state,cache}
  chmod 700 "$W/run"
  : > "$W/pids"
  local T0; T0=$(now)

  export XDG_RUNTIME_DIR=$W/run
  export XDG_CONFIG_HOME=$W/config
  export XDG_DATA_HOME=$W/data           # permission store (restore tokens) writes here
  export XDG_STATE_HOME=$W/state         # wireplumber state
  export XDG_CACHE_HOME=$W/cache         # gstreamer registry, fontconfig
  export XDG_CURRENT_DESKTOP=sway        # xdg-desktop-portal 1.16 picks wlr.portal by UseIn=
  export XDG_SESSION_TYPE=wayland
  export WLR_BACKENDS=headless           # no DRM/KMS, no seat
  export WLR_LIBINPUT_NO_DEVICES=1
  export WLR_RENDERER=pixman             # no GPU: software renderer (wlroots >= 0.14)
  export WLR_HEADLESS_OUTPUTS=1          # one virtual output: HEADLESS-1
  export PIPEWIRE_RUNTIME_DIR=$XDG_RUNTIME_DIR
  export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
  unset DISPLAY WAYLAND_DISPLAY SWAYSOCK

  cat > "$W/config/sway/config" <<EOF
xwayland disable
output HEADLESS-1 mode ${W_W}x${W_H} position 0 0 bg $BG solid_color
default_border none
focus_follows_mouse no
EOF
  cat > "$W/config/xdg-desktop-portal-wlr/config" <<EOF
[screencast]
chooser_type=none
output_name=HEADLESS-1
max_fps=$MAX_FPS
EOF

  # 1. private session bus (fixed socket path => no address parsing)
  local t; t=$(now)
  dbus-daemon --session --nofork --nopidfile --address="$DBUS_SESSION_BUS_ADDRESS" \
    >"$W/logs/dbus.log" 2>&1 &
  echo "dbus-daemon $!" >> "$W/pids"
  wait_for "dbus" 10 has_name org.freedesktop.DBus
  echo "# dbus-daemon ready in $(elapsed "$t") s" >&2

  # 2. headless sway. sway >= 1.x refuses to run as root ("Unable to drop root"),
  #    so as root it runs as an unprivileged uid (default: nobody) with its own
  #    runtime dir; clients reach it through an absolute WAYLAND_DISPLAY path.
  t=$(now)
  local sway_run=$XDG_RUNTIME_DIR sway_uid; sway_uid=$(id -u)
  local -a as_user=()
  if (( sway_uid == 0 )); then
    sway_uid=$(id -u "${HEADLESS_SWAY_USER:-nobody}")
    local sway_gid; sway_gid=$(id -g "${HEADLESS_SWAY_USER:-nobody}")
    sway_run=$W/run-sway
    mkdir -p "$sway_run" "$W/cache-sway"
    chown "$sway_uid:$sway_gid" "$sway_run" "$W/cache-sway"
    chmod 700 "$sway_run"
    chmod 755 "$W" "$W/config" "$W/config/sway"
    as_user=(setpriv --reuid="$sway_uid" --regid="$sway_gid" --clear-groups
             env HOME="$W/cache-sway" XDG_CACHE_HOME="$W/cache-sway" XDG_RUNTIME_DIR="$sway_run")
  fi
  "${as_user[@]}" sway --config "$W/config/sway/config" >"$W/logs/sway.log" 2>&1 &
  local sway_pid=$!
  echo "sway $sway_pid" >> "$W/pids"
  export SWAYSOCK=$sway_run/sway-ipc.$sway_uid.$sway_pid.sock
  wait_for "sway ipc" 20 swaymsg -t get_outputs
  export WAYLAND_DISPLAY
  WAYLAND_DISPLAY=$sway_run/$(cd "$sway_run" && ls wayland-* | grep -v '\.lock$' | head -1)
  echo "# sway ready in $(elapsed "$t") s ($WAYLAND_DISPLAY)" >&2
  # services D-Bus may activate later (permission store, document portal) see these
  dbus-update-activation-environment WAYLAND_DISPLAY XDG_CURRENT_DESKTOP XDG_RUNTIME_DIR \
    XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME SWAYSOCK XDG_SESSION_TYPE \
    PIPEWIRE_RUNTIME_DIR >/dev/null 2>&1 || true

  # 3. pipewire + session manager
  t=$(now)
  pipewire >"$W/logs/pipewire.log" 2>&1 &
  echo "pipewire $!" >> "$W/pids"
  wait_for "pipewire socket" 10 test -S "$XDG_RUNTIME_DIR/pipewire-0"
  wait_for "pipewire core" 10 pw-cli info 0
  echo "# pipewire ready in $(elapsed "$t") s" >&2
  t=$(now)
  wireplumber >"$W/logs/wireplumber.log" 2>&1 &
  echo "wireplumber $!" >> "$W/pids"
  wait_for "wireplumber" 15 sh -c 'pw-dump 2>/dev/null | grep -q "\"application.name\": \"WirePlumber\""'
  echo "# wireplumber ready in $(elapsed "$t") s" >&2

  # 4. portal backend, then the portal frontend.
  #    xdpw 0.7.x needs a shim on a GPU-less compositor (see the C comment).
  t=$(now)
  local preload=""
  if [[ ${HEADLESS_XDPW_SHIM:-1} == 1 ]]; then
    cc -shared -fPIC -O2 -o "$W/xdpw-shm-shim.so" "$HERE/xdpw-shm-shim.c" -ldl
    preload=$W/xdpw-shm-shim.so
  fi
  LD_PRELOAD=$preload /usr/libexec/xdg-desktop-portal-wlr -l "${XDPW_LOGLEVEL:-INFO}" \
    >"$W/logs/xdpw.log" 2>&1 &
  echo "xdg-desktop-portal-wlr $!" >> "$W/pids"
  wait_for "xdpw on bus" 10 has_name org.freedesktop.impl.portal.desktop.wlr
  echo "# xdg-desktop-portal-wlr ready in $(elapsed "$t") s" >&2
  t=$(now)
  /usr/libexec/xdg-desktop-portal -v >"$W/logs/portal.log" 2>&1 &
  echo "xdg-desktop-portal $!" >> "$W/pids"
  wait_for "portal on bus" 15 has_name org.freedesktop.portal.Desktop
  echo "# xdg-desktop-portal ready in $(elapsed "$t") s" >&2
  echo "# whole stack ready in $(elapsed "$T0") s; logs in $W/logs" >&2

  for v in XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME \
           XDG_CURRENT_DESKTOP XDG_SESSION_TYPE \
           WAYLAND_DISPLAY SWAYSOCK PIPEWIRE_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
  printf 'export HEADLESS_SESSION_DIR=%q\n' "$W"
  printf 'export HEADLESS_SIZE=%q\n' "${W_W}x${W_H}"
}

case $cmd in
  start)
    if [[ -n $W ]] && alive "$W"; then cat "$W/env"; exit 0; fi
    [[ -n $W ]] || { echo "usage: $0 start DIR" >&2; exit 2; }
    stop
    mkdir -p "$W"
    if ! (start > "$W/env.tmp"); then
      echo "session: start failed; logs in $W/logs" >&2; stop; exit 1
    fi
    mv "$W/env.tmp" "$W/env"; cat "$W/env" ;;
  stop) stop ;;
  env) [[ -n $W && -s $W/env ]] || { echo "no session in '$W'" >&2; exit 1; }; cat "$W/env" ;;
  *) echo "usage: $0 start|stop|env DIR" >&2; exit 2 ;;
esac
