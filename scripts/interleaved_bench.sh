# shellcheck shell=bash
# Sourced by bench_portable.sh and bench_tuned.sh: two configurations of `rtn bench`, interleaved round by
# round on each model and block (the machine is shared and noisy: side by side, medians).
# Uses the caller's rounds, seconds and blocks.
# shellcheck disable=SC2154  # rounds, seconds, blocks: set by the caller

# ns/sample of `rtn bench --backend tuned` with the rtn binary $1 on model $2 in blocks of $3, then any
# further options (--no-profile, --profile P).
rtn_bench_ns() {
  local rtn=$1 model=$2 block=$3
  shift 3
  "$rtn" bench "$model" "$@" --backend tuned --block "$block" --seconds "$seconds" --json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["configurations"]["tuned"]["ns_per_sample"])'
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# interleave FIRST SECOND RATIO MODEL...: for each model and block, $rounds rounds of the command FIRST then
# SECOND (each called with MODEL BLOCK, printing ns/sample); prints both medians and RATIO of them:
# "second/first" or "first/second".
interleave() {
  local first=$1 second=$2 ratio=$3 model block round a b ratio_value
  shift 3
  for model in "$@"; do
    for block in $blocks; do
      local first_times=() second_times=()
      for ((round = 0; round < rounds; ++round)); do
        first_times+=("$("$first" "$model" "$block")")
        second_times+=("$("$second" "$model" "$block")")
      done
      a=$(median "${first_times[@]}") b=$(median "${second_times[@]}")
      if [ "$ratio" = second/first ]; then ratio_value=$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')
      else ratio_value=$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}'); fi
      printf '%-28s %5s %14.1f %14.1f %9.3f\n' "$(basename "$model")" "$block" "$a" "$b" "$ratio_value"
    done
  done
}
