# bench/lib.sh: helpers for quail's benchmarks (sourced).
now() { echo "$EPOCHREALTIME"; }
# busy CPU seconds of the whole machine (user+nice+system+irq+softirq)
cpu_busy() { awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { print ($2+$3+$4+$7+$8)/hz; exit }' /proc/stat; }
md_count() { local f; shopt -s nullglob; f=("$1"/new/* "$1"/cur/*); echo "${#f[@]}"; }
median() { grep -v '^-$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
die() { echo "bench: $*" >&2; exit 111; }
settle() { sync; sleep "${COOLDOWN:-5}"; }
# a message of about SIZE bytes on stdout
message() {
  printf 'From: %s\nTo: %s\nSubject: quail bench\n\n' "$1" "$2"
  awk -v n="$3" 'BEGIN { l = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    for (i = 0; i + 76 <= n; i += 76) print l }'
}
