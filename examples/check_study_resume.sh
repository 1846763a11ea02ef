#!/usr/bin/env bash
# A study killed with SIGKILL in the middle and run again records the same numbers, to the bit, as
# an uninterrupted study (`study dump` prints every recorded number but the timings); so does a
# study whose worker was killed, once its failed run is retried from its checkpoint.
#   check_study_resume.sh <study program> <scratch dir>
set -euo pipefail
study=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
grid=(--acts relu,prelu --seeds 2 --epochs 3 --limit-train 3000 --val-split 500 --limit-test 500
      --probe-size 128 --workers 2 --threads 1 --progress 0 --no-report)

"$study" run "${grid[@]}" --out "$dir/whole" > "$dir/whole.log"
"$study" dump "$dir/whole" > "$dir/whole.txt"

# The second study in its own process group, killed as soon as a run has a checkpoint (its first
# epoch is done): then at least one run is half-finished.
setsid "$study" run "${grid[@]}" --out "$dir/killed" > "$dir/killed-1.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if compgen -G "$dir/killed/checkpoints/*.ckpt" > /dev/null; then break; fi
  sleep 0.05
done
kill -9 -- "-$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
"$study" status "$dir/killed" | tee "$dir/killed-status.txt"
done_runs=$(sed -n '1s/.*runs: \([0-9]*\) done.*/\1/p' "$dir/killed-status.txt")
if [ "${done_runs:-4}" -ge 4 ]; then
  echo "check_study_resume: the study finished before it was killed; nothing was tested" >&2
  exit 1
fi
"$study" run --out "$dir/killed" --progress 0 --no-report > "$dir/killed-2.log"
if ! grep -h 'resumed after epoch' "$dir"/killed/logs/worker-*.log; then
  echo "check_study_resume: no run continued from a checkpoint" >&2
  exit 1
fi
"$study" dump "$dir/killed" > "$dir/killed.txt"
if ! diff -q "$dir/whole.txt" "$dir/killed.txt" > /dev/null; then
  echo "check_study_resume: the resumed study differs from the uninterrupted one:" >&2
  diff "$dir/whole.txt" "$dir/killed.txt" | head -20 >&2
  exit 1
fi
echo "check_study_resume: $(grep -c '^run ' "$dir/whole.txt") runs, $(wc -l < "$dir/whole.txt") lines identical"

# A worker killed on its own: its run is recorded as failed, the study goes on without it, and
# the failed run keeps its checkpoint. `study run --retry-failed` continues it from there, and
# the study again records the uninterrupted study's numbers.
setsid "$study" run "${grid[@]}" --out "$dir/failed" > "$dir/failed-1.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ "$(compgen -G "$dir/failed/checkpoints/*.ckpt" | wc -l)" -ge 2 ] && break
  sleep 0.05
done
worker=$(pgrep -P "$pid" | head -1)
kill -9 "$worker"
wait "$pid" || true
"$study" status "$dir/failed" | tee "$dir/failed-status.txt"
if ! grep -q 'died of signal 9' "$dir/failed-status.txt" "$dir/failed-1.log"; then
  echo "check_study_resume: the killed worker's run was not recorded as failed" >&2
  exit 1
fi
if ! grep -q -- '--retry-failed' "$dir/failed-1.log"; then
  echo "check_study_resume: the study did not say how to retry its failed run" >&2
  exit 1
fi
rm -f "$dir"/failed/logs/worker-*.log
"$study" run --out "$dir/failed" --retry-failed --progress 0 --no-report > "$dir/failed-2.log"
if ! grep -h 'resumed after epoch' "$dir"/failed/logs/worker-*.log; then
  echo "check_study_resume: the failed run did not continue from its checkpoint" >&2
  exit 1
fi
"$study" dump "$dir/failed" > "$dir/failed.txt"
if ! diff -q "$dir/whole.txt" "$dir/failed.txt" > /dev/null; then
  echo "check_study_resume: the retried study differs from the uninterrupted one:" >&2
  diff "$dir/whole.txt" "$dir/failed.txt" | head -20 >&2
  exit 1
fi
echo "check_study_resume: a failed run retried from its checkpoint gives the same $(wc -l < "$dir/failed.txt") lines"
