#!/usr/bin/env bash
# The gate step of the composite action (action.yml): `secure-scoring check` on each stack, a SARIF
# file with one run per stack (each run its own code scanning category, secure-scoring/<stack>/),
# the text reports in the log and the job summary. Never fails by itself: it records the worst exit
# code (0 clean, 1 mandatory violations, 2 the program or its config is broken) in $GITHUB_OUTPUT
# and the action's last step decides. Runs the same outside GitHub (tests/test_install_e2e.py).
#
# env: STACKS (whitespace-separated, required), PROGRAM_DIR (default .), POLICY_CONFIG (a JSON file,
# optional), SARIF_FILE (default secure-scoring.sarif), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY (optional)
set -uo pipefail

program_dir="${PROGRAM_DIR:-.}"
sarif_file="${SARIF_FILE:-secure-scoring.sarif}"
read -r -a stacks <<<"${STACKS:-}"
if [ "${#stacks[@]}" -eq 0 ]; then
  echo "::error::no stack given (input 'stacks': stack names separated by spaces)"
  echo "exit-code=2" >>"${GITHUB_OUTPUT:-/dev/null}"
  exit 0
fi
config_args=()
if [ -n "${POLICY_CONFIG:-}" ]; then config_args=(--policy-config "$POLICY_CONFIG"); fi

parts="$(mktemp -d)"
worst=0
for stack in "${stacks[@]}"; do
  secure-scoring check "$program_dir" --stack "$stack" "${config_args[@]}" \
    --format sarif --output "$parts/$stack.sarif"
  rc=$?
  [ "$rc" -gt "$worst" ] && worst=$rc
  report="$(secure-scoring check "$program_dir" --stack "$stack" "${config_args[@]}" --format text 2>&1)"
  printf '%s\n' "$report"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
      echo "### secure-scoring check: stack \`$stack\` (exit $rc)"
      echo '```'
      printf '%s\n' "$report"
      echo '```'
    } >>"$GITHUB_STEP_SUMMARY"
  fi
done

# one SARIF log, the runs of every stack (upload-sarif takes one category per run from automationDetails)
python3 - "$sarif_file" "$parts" "${stacks[@]}" <<'PY'
import json, os, sys
out, parts, *stacks = sys.argv[1:]
paths = [os.path.join(parts, f"{s}.sarif") for s in stacks]
logs = [json.load(open(p, encoding="utf-8")) for p in paths if os.path.exists(p)]
if logs:
    merged = dict(logs[0], runs=[run for log in logs for run in log.get("runs", [])])
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(merged, fh, indent=2)
PY
rm -rf "$parts"
{
  echo "exit-code=$worst"
  echo "sarif-file=$sarif_file"
} >>"${GITHUB_OUTPUT:-/dev/null}"
echo "secure-scoring: worst exit code $worst over ${#stacks[@]} stack(s); SARIF in $sarif_file"
exit 0
