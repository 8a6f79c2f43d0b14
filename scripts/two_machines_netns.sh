#!/usr/bin/env bash
# Two "machines" on one host: the PostgreSQL server and worker A on the host, worker B in a
# network namespace reaching the server at 10.77.0.1 over a veth link. Mid-run the link goes
# down for LINK_DOWN seconds (longer than --stale-secs), so B is declared dead: its running
# trial is requeued and run by A, and B's late report, when the link returns, is refused.
# Every result write and requeue is logged by a trigger; the script prints the tallies.
#
# Needs root, iproute2 and a local PostgreSQL 15 cluster (it adds 10.77.0.1 to
# listen_addresses and a pg_hba line, and restarts the cluster once).
#   scripts/two_machines_netns.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/archinfer}
LINK_DOWN=${LINK_DOWN:-15}
ADMIN=postgres://archinfer:archinfer@localhost/archinfer
HOST_DB="$ADMIN?schema=netdemo"
NS_DB="postgres://archinfer:archinfer@10.77.0.1/archinfer?schema=netdemo"
if ! ip netns list | grep -q '^w2'; then
    ip netns add w2
    ip link add veth-h type veth peer name veth-w
    ip link set veth-w netns w2
    ip addr add 10.77.0.1/24 dev veth-h
    ip link set veth-h up
    ip netns exec w2 ip addr add 10.77.0.2/24 dev veth-w
    ip netns exec w2 ip link set veth-w up
    ip netns exec w2 ip link set lo up
    su postgres -c "psql -qc \"ALTER SYSTEM SET listen_addresses = 'localhost,10.77.0.1'\""
    hba=/etc/postgresql/15/main/pg_hba.conf
    grep -q "10.77.0.0/24" "$hba" || echo "host all all 10.77.0.0/24 scram-sha-256" >>"$hba"
    pg_ctlcluster 15 main restart
fi
psql "$ADMIN" -qc "DROP SCHEMA IF EXISTS netdemo CASCADE" 2>/dev/null
"$BIN" db copy --from data/fmnist14.sqlite --to "$HOST_DB" | tail -1
psql "$ADMIN" -q <<'SQL'
SET search_path TO netdemo;
CREATE TABLE result_writes (trial_id BIGINT NOT NULL, status TEXT NOT NULL, worker TEXT);
CREATE FUNCTION log_result_write() RETURNS trigger AS $$
BEGIN
    IF NEW.status IN ('done', 'failed') THEN
        INSERT INTO result_writes VALUES (NEW.id, NEW.status, NEW.worker);
    ELSIF OLD.status = 'running' AND NEW.status = 'pending' THEN
        INSERT INTO result_writes VALUES (NEW.id, 'requeued', OLD.worker);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER result_audit AFTER UPDATE ON trials FOR EACH ROW EXECUTE FUNCTION log_result_write();
SQL
args=(build-db --children 215 --workers 1 --stale-secs 5)
HOSTNAME=machine-a "$BIN" "${args[@]}" --db "$HOST_DB" >/tmp/netdemo-a.log 2>&1 &
a=$!
ip netns exec w2 env HOSTNAME=machine-b "$BIN" "${args[@]}" --db "$NS_DB" >/tmp/netdemo-b.log 2>&1 &
b=$!
sleep 12
"$BIN" db status --db "$HOST_DB" --live-secs 5 | tail -5
echo "link down for $LINK_DOWN s"
ip link set veth-h down
sleep "$LINK_DOWN"
"$BIN" db status --db "$HOST_DB" --live-secs 5 | tail -5
ip link set veth-h up
echo "link up"
wait $a $b
"$BIN" db status --db "$HOST_DB" --live-secs 5 | tail -6
psql "$ADMIN" -c "SET search_path TO netdemo" \
    -c "SELECT status, worker, count(*) FROM result_writes GROUP BY 1, 2 ORDER BY 1, 2" \
    -c "SELECT count(*) AS results_written_twice FROM (SELECT trial_id FROM result_writes WHERE status <> 'requeued' GROUP BY 1 HAVING count(*) > 1) x" \
    -c "SELECT count(*) AS trials, count(*) FILTER (WHERE status = 'done') AS done FROM trials"
grep -h "archinfer:\|report refused" /tmp/netdemo-a.log /tmp/netdemo-b.log | head -6 || true
