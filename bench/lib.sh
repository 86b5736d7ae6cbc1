# Shared by the bench scripts (sourced): timing, every run's figure on the screen,
# and the raw figures kept under bench/results/.
#
#   results_file NAME     start bench/results/NAME-<UTC time>.tsv (case, tool, run, seconds)
#   record CASE TOOL RUN SECONDS
#                         print one run's figure and append it to the results file
#   timed CASE TOOL PREPARE COMMAND
#                         RUNS runs of COMMAND, each after PREPARE; prints each, then
#                         sets MEDIAN
#   paired CASE A_TOOL B_TOOL PREPARE A B
#                         A and B alternately RUNS times (neighbours share the machine's
#                         load, so their ratio is honest); sets MEDIAN_A MEDIAN_B and
#                         RATIO (median of B/A)

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }

# A timed command that fails measures nothing: stop and say which.
failed() {
    echo "bench: this failed, so its time means nothing: $1" >&2
    exit 1
}

results_file() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/results"
    mkdir -p "$dir"
    RESULTS="$dir/$1-$(date -u +%Y%m%dT%H%M%SZ).tsv"
    printf 'case\ttool\trun\tseconds\n' >"$RESULTS"
    echo "raw figures: ${RESULTS#"$PWD"/}"
}

record() {
    printf '    %-28s run %2s: %s s\n' "$2" "$3" "$4"
    [ -n "${RESULTS:-}" ] && printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
    return 0
}

timed() {
    local case=$1 tool=$2 prepare=$3 command=$4 t0 t1 run
    local figures=()
    for run in $(seq "$runs"); do
        eval "$prepare"
        t0=$(now); eval "$command" >/dev/null 2>&1 || failed "$command"; t1=$(now)
        figures+=("$(elapsed "$t0" "$t1")")
        record "$case" "$tool" "$run" "${figures[-1]}"
    done
    MEDIAN=$(printf '%s\n' "${figures[@]}" | median)
}

paired() {
    local case=$1 tool_a=$2 tool_b=$3 prepare=$4 a=$5 b=$6 t0 t1 t2 t3 run
    local fa=() fb=() fr=()
    for run in $(seq "$runs"); do
        eval "$prepare"; t0=$(now); eval "$a" >/dev/null 2>&1 || failed "$a"; t1=$(now)
        eval "$prepare"; t2=$(now); eval "$b" >/dev/null 2>&1 || failed "$b"; t3=$(now)
        fa+=("$(elapsed "$t0" "$t1")"); fb+=("$(elapsed "$t2" "$t3")")
        fr+=("$(ratio "${fb[-1]}" "${fa[-1]}")")
        record "$case" "$tool_a" "$run" "${fa[-1]}"
        record "$case" "$tool_b" "$run" "${fb[-1]}"
    done
    MEDIAN_A=$(printf '%s\n' "${fa[@]}" | median)
    MEDIAN_B=$(printf '%s\n' "${fb[@]}" | median)
    RATIO=$(printf '%s\n' "${fr[@]}" | median)
}
