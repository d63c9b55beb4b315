# Checks prune-run's output for a budget run [A] against uniform sparsity
# [B]: A's stored bytes <= 1.1 x budget x dense, B's within 10 % of A's
# (the comparison is fair), accuracy A >= B. Exits 1 with a message if not.
/parameters as stored/ {
  n = $0; sub(/.*\(/, "", n); sub(/ bytes\).*/, "", n)
  bytes[substr($1, 2, 1)] = n + 0
}
/\] accuracy:/ { acc[substr($1, 2, 1)] = $3 + 0 }
END {
  limit = 1.1 * budget * dense
  printf "A: %d bytes (%.1f%% of %d, limit %d), accuracy %.4f; B: %d bytes, accuracy %.4f\n", \
    bytes["A"], 100 * bytes["A"] / dense, dense, limit, acc["A"], bytes["B"], acc["B"]
  if (!(bytes["A"] > 0 && bytes["A"] <= limit)) { print "FAIL: over the budget"; exit 1 }
  if (!(bytes["B"] > 0.9 * bytes["A"] && bytes["B"] < 1.1 * bytes["A"])) { print "FAIL: uniform run not at the same bytes"; exit 1 }
  if (!(acc["A"] >= acc["B"])) { print "FAIL: less accurate than uniform"; exit 1 }
}
