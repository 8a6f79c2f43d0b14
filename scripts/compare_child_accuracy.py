"""Compares the children two builds trained on the same plan (same architectures and seeds), as
left by scripts/measure_child_throughput.sh: per suite, how far the validation and test
accuracies of the same child are apart, and the mean accuracy of each build.

  python3 scripts/compare_child_accuracy.py /tmp/archinfer-children before after
"""
import sqlite3, statistics, sys

work, a, b = sys.argv[1], sys.argv[2], sys.argv[3]
for suite in ("fmnist14", "text14"):
    have = sqlite3.connect(f"data/{suite}.sqlite").execute("select max(trial_index)+1 from trials").fetchone()[0]
    q = ("select t.name, r.trial_index, r.val_accuracy, r.test_accuracy from trials r join tasks t on t.id = r.task_id "
         "where r.trial_index >= ? and r.status = 'done'")
    rows = [{(n, i): (v, t) for n, i, v, t in sqlite3.connect(f"{work}/{suite}-{x}.sqlite").execute(q, (have,))} for x in (a, b)]
    keys = sorted(set(rows[0]) & set(rows[1]))
    dv = [abs(rows[0][k][0] - rows[1][k][0]) for k in keys]
    dt = [abs(rows[0][k][1] - rows[1][k][1]) for k in keys]
    same = sum(1 for k in keys if rows[0][k] == rows[1][k])
    mean = lambda r, j: statistics.mean(r[k][j] for k in keys)
    print(f"{suite}: {len(keys)} children in both; identical {same}; |Δval| mean {statistics.mean(dv):.4f} "
          f"median {statistics.median(dv):.4f} max {max(dv):.4f}; |Δtest| mean {statistics.mean(dt):.4f} max {max(dt):.4f}; "
          f"mean val {a} {mean(rows[0], 0):.4f} {b} {mean(rows[1], 0):.4f}; mean test {a} {mean(rows[0], 1):.4f} {b} {mean(rows[1], 1):.4f}")
