"""Driver adapter (protocol 1, see conformance/ADAPTERS.md) for labgrid's SNMP power backends
(labgrid.driver.power.<model>), called through their power_set(host, port, index, value) and
power_get(host, port, index) as labgrid's NetworkPowerDriver calls them; cycle is that driver's:
off, wait, on. The backends choose their own SNMP version (v1) and communities, so only
scenarios whose driver uses community "private" over v1/v2c can judge them. An exception becomes
the error: its class name and message. Runs in the virtualenv conformance/adapters/setup.sh
makes."""

import json
import os
import sys
import time
from importlib import import_module
from importlib.metadata import version

# Protocol lines go to the real stdout; anything the backends print goes to stderr.
protocol = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

# This workspace's vendor profile -> labgrid's backend, and whether the backend runs net-snmp's
# tools (host may carry ":port", the port argument must be None) or pysnmp (port argument).
MODELS = {"raritan-px2": ("raritan", False), "eaton-epdu": ("eaton", False),
          "sentry3": ("sentry", True), "apc-spdu": ("apc", True)}


def send(message):
    protocol.write(json.dumps(message) + "\n")


send({"protocol": 1, "name": "labgrid", "version": version("labgrid"),
      "actions": ["on", "off", "cycle", "state"], "snmp_versions": ["1", "2c"], "stateless": True})

for line in sys.stdin:
    request = json.loads(line)
    c, reply = request["connection"], {"id": request["id"], "ok": True}
    why = (f"no labgrid backend for vendor {c['vendor']}" if c["vendor"] not in MODELS else
           "labgrid's backends use community private, not the one configured" if c["community"] != "private"
           else None)
    if why:
        send({"id": request["id"], "ok": False, "error": {"type": "NotSupported", "message": why}})
        continue
    model, tools = MODELS[c["vendor"]]
    backend = import_module(f"labgrid.driver.power.{model}")
    host, port = (f"{c['host']}:{c['port']}", None) if tools else (c["host"], c["port"])
    try:
        if request["action"] == "state":
            reply["state"] = {True: "on", False: "off"}.get(backend.power_get(host, port, request["outlet"]), "unknown")
        elif request["action"] == "cycle":
            backend.power_set(host, port, request["outlet"], False)
            time.sleep(c["cycle_delay"])
            backend.power_set(host, port, request["outlet"], True)
        else:
            backend.power_set(host, port, request["outlet"], request["action"] == "on")
    except Exception as e:  # the backend's failures, whatever their class
        reply = {"id": request["id"], "ok": False, "error": {"type": type(e).__name__, "message": str(e)}}
    send(reply)
