# The database engine and lease calls of Debian's python3-hvac, run against a Coffer server started
# by the test. Prints one JSON object with what each call returned; the test asserts on it.
# argv: address token pg_host pg_port admin_user admin_password static_user
import json
import sys

import hvac

addr, token, host, port, admin_user, admin_password, static_user = sys.argv[1:8]
client = hvac.Client(url=addr, token=token)
out = {}

client.sys.enable_secrets_engine(backend_type="database", path="db")
db = client.secrets.database
db.configure(
    name="pg",
    plugin_name="postgresql-database-plugin",
    allowed_roles=["hv-*"],
    connection_url="postgresql://{{username}}:{{password}}@%s:%s/postgres?sslmode=disable" % (host, port),
    username=admin_user,
    password=admin_password,
    mount_point="db",
)
conn = db.read_connection(name="pg", mount_point="db")["data"]
out["connection"] = conn
out["connections"] = db.list_connections(mount_point="db")["data"]["keys"]

db.create_role(
    name="hv-ro",
    db_name="pg",
    creation_statements=['CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\' VALID UNTIL \'{{expiration}}\'', 'GRANT SELECT ON items TO "{{name}}"'],
    default_ttl="1h",
    max_ttl="2h",
    mount_point="db",
)
out["role"] = db.read_role(name="hv-ro", mount_point="db")["data"]
out["roles"] = db.list_roles(mount_point="db")["data"]["keys"]

creds = db.generate_credentials(name="hv-ro", mount_point="db")
out["creds"] = {"lease_id": creds["lease_id"], "lease_duration": creds["lease_duration"], "renewable": creds["renewable"], "username": creds["data"]["username"], "password": creds["data"]["password"]}
out["lookup"] = client.sys.read_lease(lease_id=creds["lease_id"])["data"]
out["renew"] = client.sys.renew_lease(lease_id=creds["lease_id"], increment=5400)
out["renew_capped"] = client.sys.renew_lease(lease_id=creds["lease_id"], increment=999999)
out["listed"] = client.sys.list_leases(prefix="db/creds/hv-ro")["data"]["keys"]

# rotation_statements defaults to None, which hvac sends as JSON null: "not set".
db.create_static_role(name="hv-static", db_name="pg", username=static_user, rotation_statements=None, rotation_period=3600, mount_point="db")
out["static_role"] = client.read("db/static-roles/hv-static")["data"]
out["static_creds"] = db.get_static_credentials(name="hv-static", mount_point="db")["data"]
client.write("db/rotate-role/hv-static")
out["static_creds_rotated"] = db.get_static_credentials(name="hv-static", mount_point="db")["data"]

# An application token that may read its role's creds and renew/revoke leases, nothing else.
client.sys.create_or_update_policy(name="hv-app", policy="""
path "db/creds/hv-ro" { capabilities = ["read"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
""")
app_token = client.create_token(policies=["hv-app"], ttl="1h")["auth"]["client_token"]
app = hvac.Client(url=addr, token=app_token)
app_creds = app.secrets.database.generate_credentials(name="hv-ro", mount_point="db")
# increment=None goes out as JSON null: "not set", so the lease keeps its TTL.
app_renewed = app.sys.renew_lease(lease_id=app_creds["lease_id"])
try:
    app.secrets.database.read_connection(name="pg", mount_point="db")
    denied = "allowed"
except hvac.exceptions.Forbidden as e:
    denied = "forbidden"
app.sys.revoke_lease(lease_id=app_creds["lease_id"])
out["app"] = {"username": app_creds["data"]["username"], "lease_duration": app_creds["lease_duration"],
              "renewed": app_renewed["lease_duration"], "config_read": denied}

client.sys.revoke_lease(lease_id=creds["lease_id"])
try:
    client.sys.read_lease(lease_id=creds["lease_id"])
    out["lookup_after_revoke"] = "still there"
except hvac.exceptions.InvalidRequest as e:
    out["lookup_after_revoke"] = str(e)

extra = [db.generate_credentials(name="hv-ro", mount_point="db") for _ in range(2)]
out["prefix_users"] = [c["data"]["username"] for c in extra]
client.sys.revoke_prefix(prefix="db/creds/hv-ro")
db.rotate_root_credentials(name="pg", mount_point="db")
print(json.dumps(out))
