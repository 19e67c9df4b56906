"""Identity: EC2-style credentials with scopes, and request signatures.

One credential store (access key, Fernet-encrypted secret, project, optional
scope) serves every API: the CloudWatch API verifies client signatures
against it, the REST API verifies pre-signed webhook and wait-condition URLs,
the orchestrator creates and deletes per-stack credentials over RPC
(:mod:`heat_watch.identity.rpcapi`). The store lives in the watch database,
served by the watch engine's process; nothing in it depends on metrics.
"""
