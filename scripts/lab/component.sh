# shellcheck shell=bash
# One lab process = one recorded command script, used at `up` (inside.sh) and by `k8s-lab start NAME`.
# The script sets a fixed environment, writes its own PID (it then execs, so that is the process's PID)
# and runs the command line `up` gave it, so a restarted process is exactly the one that was stopped.

start_component() { # node_dir name cmd... -> started in the background, PID in node_dir/pids/name.pid
  local d=$1 name=$2; shift 2
  local script="$d/cmd/$name.sh"
  mkdir -p "$d/cmd" "$d/pids" "$d/logs"
  {
    echo '#!/bin/bash'
    printf 'export PATH=%q CACHE=%q STATE=%q HOME=%q LANG=C.UTF-8\n' "$PATH" "$CACHE" "$STATE" "${HOME:-/root}"
    [ -n "${KATAIO_LAB_RUNSC_FLAGS:-}" ] && printf 'export KATAIO_LAB_RUNSC_FLAGS=%q\n' "$KATAIO_LAB_RUNSC_FLAGS"
    printf 'echo $$ >%q\n' "$d/pids/$name.pid"
    printf 'exec'; printf ' %q' "$@"; echo
  } >"$script"
  chmod +x "$script"
  run_component "$d" "$name"
}

run_component() { # node_dir name [launcher...]: run the recorded script in the background, through launcher
  local d=$1 name=$2 i; shift 2
  rm -f "$d/pids/$name.pid"
  "$@" env -i "$d/cmd/$name.sh" >>"$d/logs/$name.log" 2>&1 </dev/null &
  for i in $(seq 1 50); do [ -s "$d/pids/$name.pid" ] && return 0; sleep 0.02; done
  echo "$name did not start (see $d/logs/$name.log)" >&2
  return 1
}
