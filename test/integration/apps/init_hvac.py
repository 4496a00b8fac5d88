# python3-hvac against an uninitialised Coffer server: sys.initialize() sends
# {"secret_shares", "secret_threshold", "root_token_pgp_key": null}; then unseal, write and read a
# KV secret with the root token. Prints one JSON line with what it saw.
import json
import sys

import hvac

address = sys.argv[1]
client = hvac.Client(url=address)
before = client.sys.is_initialized()
result = client.sys.initialize(secret_shares=3, secret_threshold=2)
after = client.sys.is_initialized()
for key in result["keys"][:2]:
    status = client.sys.submit_unseal_key(key)
client.token = result["root_token"]
client.sys.enable_secrets_engine(backend_type="kv", path="secret", options={"version": "2"})
client.secrets.kv.v2.create_or_update_secret(path="app", secret={"value": "from-hvac"}, mount_point="secret")
read = client.secrets.kv.v2.read_secret_version(path="app", mount_point="secret")
print(json.dumps({
    "initialized_before": before,
    "initialized_after": after,
    "keys": len(result["keys"]),
    "sealed": status["sealed"],
    "root_token": result["root_token"],
    "secret": read["data"]["data"]["value"],
}))
