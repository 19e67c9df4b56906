"""The orchestration engine (heat-watch-orchestrator).

Floors, top down: ``service`` (RPC server, heartbeat, takeover) and
``manager``/``rpcapi`` (the RPC contract); ``operations`` (writes) and
``queries`` (reads); ``actions`` (create, update, delete, rollback over the
dependency ``graph``) on a ``stack.Stack``; ``resource`` and the plugins of
``resources/``; ``compute/`` drivers; ``locks`` and ``sealing``; ``storage/``
(the orchestration database). ``template/`` parses and resolves templates.
"""
