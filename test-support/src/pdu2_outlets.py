#!/usr/bin/env python3
"""net-snmp pass_persist handler serving a writable Raritan PX2 (PDU2-MIB) outlet subtree.

Usage (snmpd.conf):  pass_persist .1.3.6.1.4.1.13742.6 /path/pdu2_outlets.py [OUTLETS]

Served, with pduId 1 and outlets 1..OUTLETS:
  .3.2.2.1.4.1          outletCount                    INTEGER (read-only)
  .3.5.3.1.3.1.N        outletName                     STRING  (read-write)
  .4.1.2.1.2.1.N        switchingOperation             INTEGER (read-write: off 0, on 1, cycle 2;
                        a cycle reads off for CYCLE_SECS, then on again, as a real outlet)
  .4.1.2.1.3.1.N        outletSwitchingState           INTEGER (read-only: on 7, off 8)
  .5.4.3.1.4.1.N.5      measurementsOutletSensorValue  Gauge32 (activePower, W; 0 when off)
A SET of any other value answers wrong-value, of another type wrong-type, of a read-only
object not-writable. The state lives in this process only.
"""
import sys
import time

BASE = (1, 3, 6, 1, 4, 1, 13742, 6)
OUTLETS = int(sys.argv[1]) if len(sys.argv) > 1 else 8

state = {n: 7 for n in range(1, OUTLETS + 1)}
names = {n: "outlet-%d" % n for n in range(1, OUTLETS + 1)}
last_op = {n: 1 for n in range(1, OUTLETS + 1)}
# Outlets in a power cycle: outlet -> monotonic time at which it comes back on.
CYCLE_SECS = 1.0
cycling = {}


def settle():
    """Outlets whose power cycle is over are on again."""
    now = time.monotonic()
    for n, until in list(cycling.items()):
        if now >= until:
            state[n] = 7
            del cycling[n]

COUNT = BASE + (3, 2, 2, 1, 4, 1)
NAME = BASE + (3, 5, 3, 1, 3, 1)
OP = BASE + (4, 1, 2, 1, 2, 1)
STATE = BASE + (4, 1, 2, 1, 3, 1)
SENSOR = BASE + (5, 4, 3, 1, 4, 1)


def objects():
    """All (oid, type, value) in OID order."""
    rows = [(COUNT, "integer", str(OUTLETS))]
    for n in range(1, OUTLETS + 1):
        rows.append((NAME + (n,), "string", names[n]))
    for n in range(1, OUTLETS + 1):
        rows.append((OP + (n,), "integer", str(last_op[n])))
    for n in range(1, OUTLETS + 1):
        rows.append((STATE + (n,), "integer", str(state[n])))
    for n in range(1, OUTLETS + 1):
        rows.append((SENSOR + (n, 5), "gauge", "42" if state[n] == 7 else "0"))
    rows.sort(key=lambda r: r[0])
    return rows


def parse(oid):
    return tuple(int(p) for p in oid.strip().strip(".").split(".") if p != "")


def fmt(oid):
    return "." + ".".join(str(a) for a in oid)


def answer(row):
    if row is None:
        out("NONE")
    else:
        out(fmt(row[0]))
        out(row[1])
        out(row[2])


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def do_set(oid, typed):
    kind, _, value = typed.strip().partition(" ")
    kind = kind.lower()
    if oid[:-1] == OP and oid[-1] in state:
        if kind != "integer":
            return "wrong-type"
        try:
            v = int(value)
        except ValueError:
            return "wrong-value"
        if v not in (0, 1, 2):
            return "wrong-value"
        n = oid[-1]
        last_op[n] = v
        cycling.pop(n, None)
        if v == 2:
            state[n] = 8
            cycling[n] = time.monotonic() + CYCLE_SECS
        else:
            state[n] = 8 if v == 0 else 7
        return "DONE"
    if oid[:-1] == NAME and oid[-1] in names:
        if kind not in ("string", "octet"):
            return "wrong-type"
        v = value
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        if len(v) > 32:
            return "wrong-length"
        names[oid[-1]] = v
        return "DONE"
    if any(r[0] == oid for r in objects()):
        return "not-writable"
    return "not-writable"


def main():
    while True:
        cmd = sys.stdin.readline()
        if not cmd:
            return
        cmd = cmd.strip().lower()
        settle()
        if cmd == "ping":
            out("PONG")
        elif cmd == "get":
            oid = parse(sys.stdin.readline())
            answer(next((r for r in objects() if r[0] == oid), None))
        elif cmd == "getnext":
            oid = parse(sys.stdin.readline())
            answer(next((r for r in objects() if r[0] > oid), None))
        elif cmd == "set":
            oid = parse(sys.stdin.readline())
            typed = sys.stdin.readline()
            out(do_set(oid, typed))
        elif cmd == "":
            continue
        else:
            out("NONE")


if __name__ == "__main__":
    main()
