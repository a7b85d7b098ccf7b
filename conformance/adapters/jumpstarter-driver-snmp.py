"""Driver adapter (protocol 1, see conformance/ADAPTERS.md) for jumpstarter's SNMP power driver,
jumpstarter_driver_snmp.driver.SNMPServer (pysnmp, SNMPv3 only): one SNMPServer per request,
built from the connection as a jumpstarter exporter config would give it; on() and off() of the
driver, cycle() as jumpstarter's PowerClient does it (off, wait, on). An exception becomes the
error: its class name and message. Runs in the virtualenv conformance/adapters/setup.sh makes."""

import json
import os
import sys
import types
from importlib.metadata import version

# Protocol lines go to the real stdout; anything the driver prints goes to stderr.
protocol = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

from jumpstarter_driver_power.client import PowerClient  # noqa: E402
from jumpstarter_driver_snmp.driver import AuthProtocol, PrivProtocol, SNMPServer  # noqa: E402


def send(message):
    protocol.write(json.dumps(message) + "\n")


send({"protocol": 1, "name": "jumpstarter-driver-snmp", "version": version("jumpstarter-driver-snmp"),
      "actions": ["on", "off", "cycle"], "snmp_versions": ["3"], "stateless": True})

for line in sys.stdin:
    request = json.loads(line)
    c = request["connection"]
    auth, priv = c["auth_protocol"] or "NONE", c["priv_protocol"] or "NONE"
    if c["oid"] is None or c["context"] or auth not in AuthProtocol.__members__ \
            or priv not in PrivProtocol.__members__:
        send({"id": request["id"], "ok": False, "error": {"type": "NotSupported", "message":
              f"SNMPServer offers auth {list(AuthProtocol.__members__)}, priv "
              f"{list(PrivProtocol.__members__)}, no context, and needs a control OID"}})
        continue
    try:
        driver = SNMPServer(host=c["host"], port=c["port"], user=c["user"], plug=request["outlet"],
                            oid=c["oid"], auth_protocol=AuthProtocol(auth), auth_key=c["auth_key"],
                            priv_protocol=PrivProtocol(priv), priv_key=c["priv_key"], timeout=c["timeout"])
        if request["action"] == "cycle":
            client = types.SimpleNamespace(on=driver.on, off=driver.off, logger=driver.logger)
            PowerClient.cycle(client, wait=c["cycle_delay"])
        else:
            getattr(driver, request["action"])()
        send({"id": request["id"], "ok": True})
    except Exception as e:  # the driver's failures, whatever their class
        send({"id": request["id"], "ok": False, "error": {"type": type(e).__name__, "message": str(e)}})
