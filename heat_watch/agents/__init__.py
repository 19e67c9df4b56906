"""Agents that run on instances: heat-watch-push-stats (cfn-push-stats),
heat-watch-signal (cfn-signal) and heat-watch-hup (cfn-hup), with the
heat-cfntools option names so that templates written for those work."""
