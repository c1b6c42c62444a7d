# TAP for the shell tests: source it, print the plan, call check once per test, then tap_exit.
n=0
failed=0

# check NAME STATUS [DETAILS]: "ok" when STATUS is 0; else the last 40 lines of DETAILS as
# diagnostics, then "not ok".
check() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		[ -n "${3:-}" ] && printf '%s\n' "$3" | tail -n 40 | sed 's/^/# /'
		echo "not ok $n - $1"
	fi
}

tap_exit() {
	exit $((failed > 0))
}
