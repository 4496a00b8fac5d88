// Built-in policies (spec §5.4). `default` is written to storage at setup and may be edited but not
// deleted; `response-wrapping` is internal and immutable (it is never stored: the store serves this
// text); `root` is implicit and has no text at all.

export const DEFAULT_POLICY_NAME = 'default';
export const ROOT_POLICY_NAME = 'root';
export const RESPONSE_WRAPPING_POLICY_NAME = 'response-wrapping';
export const CONTROL_GROUP_POLICY_NAME = 'control-group';

/** Policies that cannot be written or deleted by anyone. */
export const IMMUTABLE_POLICIES: readonly string[] = [ROOT_POLICY_NAME, RESPONSE_WRAPPING_POLICY_NAME, CONTROL_GROUP_POLICY_NAME];
/** Internal policies that are never listed and cannot be attached to tokens by users. */
export const NON_ASSIGNABLE_POLICIES: readonly string[] = [RESPONSE_WRAPPING_POLICY_NAME, CONTROL_GROUP_POLICY_NAME];

export const DEFAULT_POLICY = `# Let a token look up its own properties.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Let a token renew itself.
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Let a token revoke itself.
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Let a token ask what it may do on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Let a token read its own identity entity, by ID or by name.
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# Let a token see the ACL that results from all its policies (used by UIs; an internal
# path whose format may change).
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Let a token renew a lease given its lease_id in the body: the legacy path and the current one.
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Let a token look up a lease whose ID it already knows.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Let a token manage its own cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Let a token wrap arbitrary data in a response-wrapping token.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Let a token look up the creation time and TTL of a response-wrapping token.
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Let a token unwrap a response-wrapping token without switching tokens.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# General purpose tools.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Let a token check the status of a control group request whose accessor it holds.
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Let a token generate a TOTP passcode for an MFA method it is enrolled in.
path "identity/mfa/method/totp/generate" {
    capabilities = ["read", "update"]
}

# Let a token make requests to the authorization endpoint of OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`;

export const RESPONSE_WRAPPING_POLICY = `path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;
